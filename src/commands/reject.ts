/** REJECT <reason>: the request is closed and the reason goes to the applicant. */
import { sendTemplate } from '../actions/send';
import { decide } from './decision';
import type { Command } from './types';

export const reject: Command = (ctx, input) => {
  const request = input.request!;
  const reason = input.argument ?? 'The moderators did not give a reason.';
  let copies = decide(ctx, input, 'rejected', 'reject', reason);
  copies += sendTemplate(ctx, input.inboundId, {
    template: 'applicant.notice.rejected',
    to: [request.applicant],
    inReplyTo: request.message_id,
    params: { id: request.id, reason },
  });
  return { disposition: 'REJECTED', copies };
};

/**
 * APPROVE: the request moves to "confirming" and the alias itself is asked to confirm. Only its
 * answer subscribes it, which shows the alias receives mail and someone reads it (criterion 1).
 */
import { tokenMessageId } from '../mail/compose';
import { createToken } from '../store/tokens';
import { sendTemplate } from '../actions/send';
import { decide } from './decision';
import { notDone } from './not-done';
import type { Command } from './types';

export const approve: Command = (ctx, input) => {
  const request = input.request!;
  const { config } = ctx;
  if (!request.alias) {
    return notDone(ctx, input, 'the request names no alias to subscribe; ASK the applicant for one', {
      id: request.id,
      code: 'REQUEST_NO_ALIAS',
    });
  }
  let copies = decide(ctx, input, 'confirming', 'approve', null);
  const token = createToken(ctx.db, {
    purpose: 'confirm',
    requestId: request.id,
    at: ctx.clock(),
    days: config.policy.tokenDays,
  });
  const expires = new Date(ctx.clock().getTime() + config.policy.tokenDays * 86_400_000).toISOString();
  copies += sendTemplate(ctx, input.inboundId, {
    template: 'alias.action.confirm-subscription',
    to: [request.alias],
    messageId: tokenMessageId(config, token, `c${request.id}`),
    params: {
      id: request.id,
      token,
      alias: request.alias,
      organization: request.organization ?? '',
      applicant: request.applicant,
      expires,
    },
  });
  copies += sendTemplate(ctx, input.inboundId, {
    template: 'applicant.notice.approved',
    to: [request.applicant],
    inReplyTo: request.message_id,
    params: { id: request.id, alias: request.alias, expires },
  });
  return { disposition: 'APPROVED', copies };
};

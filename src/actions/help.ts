import { sendTemplate } from './send';
import type { Action } from './types';

/** "help" to the requests address: how to join, leave, and reach the moderators. */
export const help: Action = (ctx, { inboundId, msg }) => ({
  disposition: 'HELP',
  copies: sendTemplate(ctx, inboundId, {
    template: 'requester.notice.help',
    to: [msg.from.address],
    autoSubmitted: 'auto-replied',
    inReplyTo: msg.messageId,
    params: { criteria: ctx.config.policy.criteria.map((text, i) => ({ n: i + 1, text })) },
  }),
});

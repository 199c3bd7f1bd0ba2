import { nowIso } from '../context';
import { appendAudit } from '../store/audit';
import { sendTemplate } from './send';
import type { Action } from './types';

/**
 * Not relayed: kept in the database with every reason, and the moderators told in one notice.
 * The sender is not answered: a stranger's mail earns no reply from a security list.
 */
export const hold: Action = (ctx, { inboundId, msg, decision, receivedAt }) => {
  const at = nowIso(ctx);
  const { config } = ctx;
  const copies = sendTemplate(ctx, inboundId, { template: 'moderator.notice.held-post', to: config.list.moderators, params: {
    from: msg.from.address,
    addressedTo: decision.hits.some((h) => h.rule === 'to-requests') ? config.list.requestsAddress : config.list.address,
    subject: msg.subject || '(no subject)',
    messageId: msg.messageId ?? '(none)',
    receivedAt,
    inboundId,
    reasons: decision.hits.filter((h) => !['to-list', 'from-member'].includes(h.rule)).map((h) => h.reason),
    nonMember: decision.label === 'non-member',
  } });
  appendAudit(ctx.db, {
    at, actor: msg.from.address, action: `post.hold.${decision.label}`, object: `inbound:${inboundId}`, messageId: msg.messageId,
  });
  return { disposition: 'HELD', copies };
};

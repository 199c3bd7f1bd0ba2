import { nowIso } from '../context';
import { composeNotice } from '../mail/compose';
import { render } from '../mail/templates';
import { bounceAddress } from '../config';
import { appendAudit } from '../store/audit';
import { enqueueMail } from '../store/outbox';
import type { Action } from './types';

/**
 * Not relayed: kept in the database with every reason, and the moderators told in one notice.
 * The sender is not answered: a stranger's mail earns no reply from a security list.
 */
export const hold: Action = (ctx, { inboundId, msg, decision, receivedAt }) => {
  const at = nowIso(ctx);
  const { config } = ctx;
  const rendered = render(ctx.templates, 'moderator.notice.held-post', {
    listName: config.list.name,
    listAddress: config.list.address,
    from: msg.from.address,
    subject: msg.subject || '(no subject)',
    messageId: msg.messageId ?? '(none)',
    receivedAt,
    inboundId,
    reasons: decision.hits.filter((h) => !['to-list', 'from-member'].includes(h.rule)).map((h) => h.reason),
    nonMember: decision.label === 'non-member',
  });
  const notice = composeNotice(config, { to: config.list.moderators, rendered, autoSubmitted: 'auto-generated' }, ctx.clock());
  const copies = enqueueMail(ctx.db, {
    inboundId, purpose: 'notice.held-post', envelopeFrom: bounceAddress(config), messageId: notice.messageId,
    raw: notice.raw, recipients: config.list.moderators,
  }, at);
  appendAudit(ctx.db, {
    at, actor: msg.from.address, action: `post.hold.${decision.label}`, object: `inbound:${inboundId}`, messageId: msg.messageId,
  });
  return { disposition: 'HELD', copies };
};

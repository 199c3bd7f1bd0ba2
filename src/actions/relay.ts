import { nowIso } from '../context';
import { composeRelay } from '../mail/relay';
import { appendAudit } from '../store/audit';
import { activeMembers } from '../store/members';
import { enqueueMail } from '../store/outbox';
import type { Action } from './types';

/** A member's post: one copy to every active member. */
export const relay: Action = (ctx, { inboundId, msg }) => {
  const at = nowIso(ctx);
  const recipients = activeMembers(ctx.db).map((m) => m.address);
  const { raw, envelopeFrom } = composeRelay(msg.raw, ctx.config);
  const copies = enqueueMail(ctx.db, { inboundId, purpose: 'relay', envelopeFrom, messageId: msg.messageId, raw, recipients }, at);
  appendAudit(ctx.db, {
    at, actor: msg.from.address, action: 'post.relay', object: `inbound:${inboundId}`, messageId: msg.messageId,
    detail: { recipients: copies },
  });
  return { disposition: 'RELAYED', copies };
};

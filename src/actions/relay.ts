import { nowIso, type Context } from '../context';
import { composeRelay } from '../mail/relay';
import { appendAudit } from '../store/audit';
import { activeMembers } from '../store/members';
import { enqueueMail } from '../store/outbox';
import type { Action } from './types';
import { memberEnvelope } from './member-envelope';

/** A plain post (no disclosure thread): one copy to every active member. Returns the copies. */
export function relayPlain(
  ctx: Context,
  inboundId: number,
  original: Buffer,
  author: string,
  messageId: string | null,
  rewriteFrom?: boolean,
): number {
  const at = nowIso(ctx);
  const recipients = activeMembers(ctx.db).map((m) => m.address);
  const { raw, envelopeFrom } = composeRelay(original, ctx.config, rewriteFrom, ctx.clock());
  const copies = enqueueMail(
    ctx.db,
    { inboundId, purpose: 'relay', envelopeFrom, messageId, raw, recipients, envelopeFor: memberEnvelope(ctx) },
    at,
  );
  appendAudit(ctx.db, {
    at,
    actor: author,
    action: 'post.relay',
    object: `inbound:${inboundId}`,
    messageId,
    detail: { recipients: copies },
  });
  return copies;
}

/** A member's post: one copy to every active member. */
export const relay: Action = (ctx, { inboundId, msg, snap }) => ({
  disposition: 'RELAYED',
  copies: relayPlain(ctx, inboundId, msg.raw, msg.from.address, msg.messageId, snap.rewriteFrom),
});

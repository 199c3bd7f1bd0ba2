/**
 * Deciding on a held message, by a moderator's keyword or on the server: APPROVE relays it (into
 * its disclosure thread when it replies in one), REJECT tells the sender why, DISCARD drops it.
 * The first decision wins.
 */
import { nowIso, type Context } from '../context';
import { headerValue, splitMessage } from '../message/headers';
import { appendAudit } from '../store/audit';
import { getDisclosure, threadOf } from '../store/disclosures';
import { decideHeld, getHeld } from '../store/held';
import { getInbound, relayableRaw, setOutcome } from '../store/inbound';
import { isAddress } from '../message/address';
import { relayPlain } from './relay';
import { sendTemplate } from './send';
import { relayToThread } from './thread-relay';

export interface HeldResult {
  ok: boolean;
  copies: number;
  why?: string;
  /** When not done: HELD_NOT_FOUND, ALREADY_DECIDED, HELD_NOT_RELAYABLE. */
  code?: string;
}

function notHeld(ctx: Context, inboundId: number): HeldResult | null {
  const held = getHeld(ctx.db, inboundId);
  if (!held) return { ok: false, copies: 0, code: 'HELD_NOT_FOUND', why: `there is no held message ${inboundId}` };
  if (held.state !== 'held')
    return {
      ok: false,
      copies: 0,
      code: 'ALREADY_DECIDED',
      why: `held message ${inboundId} was already ${held.state} by ${held.decided_by} at ${held.decided_at}`,
    };
  return null;
}

export function approveHeld(ctx: Context, inboundId: number, actor: string): HeldResult {
  const refused = notHeld(ctx, inboundId);
  if (refused) return refused;
  const held = getHeld(ctx.db, inboundId)!;
  if (!held.relayable)
    return {
      ok: false,
      copies: 0,
      code: 'HELD_NOT_RELAYABLE',
      why: `held message ${inboundId} was not sent to the list, so there is nothing to relay; REJECT or DISCARD it`,
    };
  const at = nowIso(ctx);
  // The decrypted message when it came encrypted to the list's key (deciding drops that copy).
  const raw = relayableRaw(getInbound(ctx.db, inboundId)!);
  decideHeld(ctx.db, inboundId, 'approved', actor, at);
  // A reply in a disclosure thread goes into its thread, with the thread's prefix and footer.
  const fields = splitMessage(raw).headers;
  const ids = fields
    .filter((h) => ['in-reply-to', 'references'].includes(h.name.toLowerCase()))
    .flatMap((h) => headerValue(h).match(/<[^<>\s]+>/g) ?? []);
  const bySubject = /\[#(\d{1,9})\]/.exec(held.subject);
  const thread = threadOf(ctx.db, ids) ?? (bySubject ? getDisclosure(ctx.db, Number(bySubject[1])) : undefined);
  const copies = thread
    ? relayToThread(ctx, inboundId, raw, thread, held.sender, held.message_id)
    : relayPlain(ctx, inboundId, raw, held.sender, held.message_id);
  // Now it reached the members: a re-delivered copy is a duplicate, not a new held message.
  setOutcome(ctx.db, inboundId, thread ? 'thread-post' : 'relay');
  appendAudit(ctx.db, {
    at,
    actor,
    action: 'held.approve',
    object: `inbound:${inboundId}`,
    messageId: held.message_id,
    detail: { thread: thread?.id ?? null },
  });
  return { ok: true, copies };
}

export function rejectHeld(ctx: Context, inboundId: number, actor: string, reason: string): HeldResult {
  const refused = notHeld(ctx, inboundId);
  if (refused) return refused;
  const held = getHeld(ctx.db, inboundId)!;
  const at = nowIso(ctx);
  decideHeld(ctx.db, inboundId, 'rejected', actor, at, reason);
  appendAudit(ctx.db, {
    at,
    actor,
    action: 'held.reject',
    object: `inbound:${inboundId}`,
    messageId: held.message_id,
    detail: { reason },
  });
  const copies = !isAddress(held.sender)
    ? 0
    : sendTemplate(ctx, inboundId, {
        template: 'requester.notice.post-rejected',
        to: [held.sender],
        autoSubmitted: 'auto-replied',
        inReplyTo: held.message_id,
        params: {
          subject: held.subject || '(no subject)',
          reason,
          addressedTo: held.relayable ? ctx.config.list.address : ctx.config.list.requestsAddress,
        },
      });
  return { ok: true, copies };
}

export function discardHeld(ctx: Context, inboundId: number, actor: string): HeldResult {
  const refused = notHeld(ctx, inboundId);
  if (refused) return refused;
  const held = getHeld(ctx.db, inboundId)!;
  decideHeld(ctx.db, inboundId, 'discarded', actor, nowIso(ctx));
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor,
    action: 'held.discard',
    object: `inbound:${inboundId}`,
    messageId: held.message_id,
  });
  return { ok: true, copies: 0 };
}

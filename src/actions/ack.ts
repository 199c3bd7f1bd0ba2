import { nowIso } from '../context';
import { appendAudit } from '../store/audit';
import { ackReceipt, addReceipt } from '../store/disclosures';
import { findMember } from '../store/members';
import type { ActionOf } from './types';

/** ACK in a disclosure thread: the member's receipt is recorded; nothing is relayed or answered. */
export const ack: ActionOf<'ack'> = (ctx, { inboundId, msg, decision }) => {
  const d = decision.thread;
  const member = findMember(ctx.db, msg.from.address)!;
  addReceipt(ctx.db, d.id, member.address, member.organization);
  const fresh = ackReceipt(ctx.db, d.id, member.address, msg.from.address, nowIso(ctx));
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: msg.from.address,
    action: fresh ? 'disclosure.ack' : 'disclosure.ack.again',
    object: `disclosure:${d.id}`,
    messageId: msg.messageId,
    detail: { inbound: inboundId },
  });
  return { disposition: 'ACKED', copies: 0 };
};

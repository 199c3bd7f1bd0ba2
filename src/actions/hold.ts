/**
 * Held: not relayed, kept in the moderation queue with every reason, and the moderators get one
 * mail per held message with the keywords that act on it (APPROVE, REJECT <reason>, DISCARD).
 * The sender is not answered: a stranger's mail earns no reply from a security list.
 */
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import { appendAudit } from '../store/audit';
import { insertHeld } from '../store/held';
import { createToken } from '../store/tokens';
import { formatUtc } from '../policy/embargo-date';
import { addressedTo } from '../rules/destination';
import { sendTemplate } from './send';
import type { ActionOf } from './types';

export interface HoldInput {
  inboundId: number;
  sender: string;
  subject: string;
  messageId: string | null;
  label: string;
  reasons: string[];
  /** Addressed to the list: APPROVE relays it. Otherwise only REJECT and DISCARD apply. */
  relayable: boolean;
  receivedAt: string;
}

export function holdMessage(ctx: Context, h: HoldInput): number {
  const at = nowIso(ctx);
  const { config } = ctx;
  const expiresAt = new Date(ctx.clock().getTime() + config.policy.holdDays * 86_400_000).toISOString();
  insertHeld(
    ctx.db,
    {
      inboundId: h.inboundId,
      sender: h.sender,
      subject: h.subject,
      messageId: h.messageId,
      reasons: h.reasons,
      relayable: h.relayable,
      expiresAt,
    },
    at,
  );
  const token = createToken(ctx.db, {
    purpose: 'held',
    subject: String(h.inboundId),
    at: ctx.clock(),
    days: config.policy.holdDays + 1,
  });
  appendAudit(ctx.db, {
    at,
    actor: h.sender,
    action: `post.hold.${h.label}`,
    object: `inbound:${h.inboundId}`,
    messageId: h.messageId,
    detail: { reasons: h.reasons },
  });
  return sendTemplate(ctx, h.inboundId, {
    template: 'moderator.action.held-post',
    to: config.list.moderators,
    messageId: tokenMessageId(config, token, `h${h.inboundId}`),
    params: {
      id: h.inboundId,
      token,
      from: h.sender,
      subject: h.subject || '(no subject)',
      messageId: h.messageId ?? '(none)',
      receivedAt: h.receivedAt,
      addressedTo: h.relayable ? config.list.address : config.list.requestsAddress,
      reasons: h.reasons,
      relayable: h.relayable,
      nonMember: h.label === 'non-member',
      expires: formatUtc(new Date(expiresAt)),
    },
  });
}

/** The reasons are the decision's (chains/inbound holdReasons: every hit of a rule whose use is 'reason'). */
export const hold: ActionOf<'hold'> = (ctx, { inboundId, msg, decision, receivedAt }) => {
  const copies = holdMessage(ctx, {
    inboundId,
    sender: msg.from.address,
    subject: msg.subject,
    messageId: msg.messageId,
    label: decision.label,
    reasons: decision.reasons,
    // Ciphertext the list cannot read is never relayed, not even by APPROVE.
    relayable: addressedTo(msg, ctx.config.list.address) && decision.label !== 'encrypted-unreadable',
    receivedAt,
  });
  return { disposition: 'HELD', copies };
};

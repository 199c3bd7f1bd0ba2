import { nowIso } from '../context';
import { appendAudit } from '../store/audit';
import type { Action } from './types';

/** Dropped without an answer: a loop or a duplicate. The inbound row keeps why. */
export const discard: Action = (ctx, { inboundId, msg, decision }) => {
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: msg.from.address,
    action: `post.drop.${decision.label}`,
    object: `inbound:${inboundId}`,
    messageId: msg.messageId,
  });
  return { disposition: 'DROPPED', copies: 0 };
};

import type { ActionOf } from './types';
import { relayToThread } from './thread-relay';

/** A reply in a disclosure thread, from an authenticated member or moderator: to every member. */
export const threadPost: ActionOf<'thread-post'> = (ctx, { inboundId, msg, decision, snap }) => {
  const copies = relayToThread(
    ctx,
    inboundId,
    msg.raw,
    decision.thread,
    msg.from.address,
    msg.messageId,
    snap.rewriteFrom,
  );
  return { disposition: 'RELAYED', copies };
};

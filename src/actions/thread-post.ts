import type { Action } from './types';
import { relayToThread } from './thread-relay';

/** A reply in a disclosure thread, from an authenticated member or moderator: to every member. */
export const threadPost: Action = (ctx, { inboundId, msg, snap }) => {
  const copies = relayToThread(ctx, inboundId, msg.raw, snap.thread!, msg.from.address, msg.messageId, snap.rewriteFrom);
  return { disposition: 'RELAYED', copies };
};

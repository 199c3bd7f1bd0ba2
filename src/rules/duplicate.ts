import type { Rule } from './types';

/** A second copy of a message already relayed (cross-posted, re-delivered, re-appended). */
export const duplicate: Rule = {
  name: 'duplicate',
  description: 'A message with the same Message-ID has already been relayed to the members.',
  check(msg, snap) {
    return snap.alreadyRelayed ? `Message-ID ${msg.messageId} was already relayed` : null;
  },
};

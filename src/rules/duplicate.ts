import type { Rule } from './types';

/** A second copy of a message already relayed (cross-posted, re-delivered, re-appended). */
export const duplicate: Rule = {
  name: 'duplicate',
  use: 'reason',
  description:
    'A message with this Message-ID already reached the members: an earlier inbound message with the same Message-ID had the outcome `relay`, `thread-post`, `open-disclosure`, `leak-report` or `ack` (a held message that a moderator approved gets `relay` or `thread-post`).',
  check(msg, snap) {
    return snap.alreadyRelayed ? `Message-ID ${msg.messageId} was already relayed` : null;
  },
};

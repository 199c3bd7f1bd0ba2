/**
 * Over the size limits: such a message is held for a moderator unread. These two rules run first,
 * on the header alone (message/header-only), before the body is parsed at all.
 */
import type { Rule } from './types';

/** Content-Type fields in the raw bytes, counted up to `stop`: a cap on parts (and so on nesting) before parsing. */
export function countMimeParts(raw: Buffer, stop: number): number {
  let count = 0;
  const re = /^content-type:/gim;
  const text = raw.toString('latin1');
  while (count < stop && re.exec(text) !== null) count += 1;
  return count;
}

export const tooLarge: Rule = {
  name: 'too-large',
  use: 'reason',
  description: 'The message is larger than policy.maxMessageBytes.',
  check(msg, snap) {
    return msg.raw.length > snap.maxMessageBytes
      ? `it is ${msg.raw.length} bytes, over the limit of ${snap.maxMessageBytes} (policy.maxMessageBytes)`
      : null;
  },
};

/** Not counted on a message already too large: that one is held for its size, and its bytes are not scanned. */
export const tooManyParts: Rule = {
  name: 'too-many-parts',
  use: 'reason',
  description:
    'The message has more MIME parts (Content-Type fields) than policy.maxMimeParts; not counted when it is too large already.',
  check(msg, snap) {
    if (msg.raw.length > snap.maxMessageBytes) return null;
    return countMimeParts(msg.raw, snap.maxMimeParts + 1) > snap.maxMimeParts
      ? `it has more than ${snap.maxMimeParts} MIME parts (policy.maxMimeParts)`
      : null;
  },
};

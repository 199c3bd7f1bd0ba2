/**
 * Encrypted mail the list cannot read: sent to another key, without a list key, unreadable,
 * partly encrypted, encrypted twice, or inflating past the size limit. Checked on the header
 * alone (the body is ciphertext), before anything else; such a message is held for a moderator,
 * never relayed, never quarantined as a crash.
 */
import type { Rule } from './types';

export const encryptedUnreadable: Rule = {
  name: 'encrypted-unreadable',
  use: 'reason',
  description:
    "The message is OpenPGP-encrypted (RFC 3156) and the list cannot read it: not encrypted to the list's key, no list key (`openpgp.enabled` off), unreadable ciphertext, an encrypted part beside clear ones, encryption inside encryption, or a payload over `policy.maxMessageBytes`.",
  check(_msg, snap) {
    const u = snap.unreadable;
    return u ? `it is encrypted and the list cannot read it (${u.code}): ${u.detail}` : null;
  },
};

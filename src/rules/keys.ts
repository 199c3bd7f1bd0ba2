/**
 * OpenPGP keys that arrive by mail (actions/member-key): a mail that carries a public key, and a
 * reply that carries the token of a key confirmation. The key itself was read before the
 * transaction (openpgp/attached-key); these only look at what the snapshot holds.
 */
import type { Rule } from './types';

/** The mail carries an OpenPGP public key (attached, or an armored block in its text). */
export const carriesKey: Rule = {
  name: 'carries-key',
  use: 'fact',
  description:
    'The message carries an OpenPGP public key: an `application/pgp-keys` attachment, or an armored public key block attached or in its text.',
  check(_msg, snap) {
    const k = snap.attachedKey;
    if (!k) return null;
    return k.state === 'key'
      ? `carries the OpenPGP key ${k.key.fingerprint}`
      : `carries an OpenPGP key that cannot be used (${k.code})`;
  },
};

/** A member answering the confirmation of its key, which only that key's holder could read. */
export const replyToKeyConfirmation: Rule = {
  name: 'reply-to-key-confirmation',
  use: 'reason',
  description:
    "It carries the token of a key confirmation: the mail, encrypted to a member's new key, that asks the member to confirm it.",
  check(_msg, snap) {
    const found = snap.tokens.filter((t) => t.row?.purpose === 'key');
    return found.length > 0 ? `carries key confirmation token tk-${found[0]!.token.slice(0, 6)}…` : null;
  },
};

/**
 * The OpenPGP public key a mail carries (message/parse publicKeyParts: an application/pgp-keys
 * attachment, an armored block attached or pasted in the text), read before the message's
 * transaction because OpenPGP.js is asynchronous. What the rules and actions see is plain data:
 * the key's facts, or why it was refused (a stable KEY_* code and the sentence for the sender).
 *
 * The same key given twice (attached and pasted) is one key; two different keys are refused
 * (KEY_MULTIPLE): we do not guess which one was meant.
 */
import { AppError } from '../errors';
import { MAX_KEY_PARTS } from '../message/parse';
import { formatFingerprint, keyState, readPublicKey, unusableError, userIdMatches, type PublicKeyInfo } from './keys';

/** A key's facts, without the parsed object: what the snapshot and the database hold. */
export type KeyFacts = Omit<PublicKeyInfo, 'key'>;

export type AttachedKey =
  { state: 'key'; key: KeyFacts } | { state: 'refused'; code: string; message: string; fingerprint: string | null };

/** Null when the mail carries no key. Never throws for anything the mail holds. */
export async function readAttachedKey(parts: readonly Buffer[], now: Date): Promise<AttachedKey | null> {
  if (parts.length === 0) return null;
  if (parts.length > MAX_KEY_PARTS)
    return refused(new AppError('KEY_MULTIPLE', `the mail carries more than ${MAX_KEY_PARTS} keys; send exactly one`));
  const found = new Map<string, PublicKeyInfo>();
  for (const [i, part] of parts.entries()) {
    try {
      const info = await readPublicKey(part, { what: `the key in part ${i + 1} of the mail`, now });
      found.set(info.fingerprint, info);
    } catch (err) {
      return refused(err);
    }
  }
  if (found.size > 1)
    return refused(
      new AppError(
        'KEY_MULTIPLE',
        `the mail carries ${found.size} different keys (${[...found.keys()].join(', ')}); send exactly one`,
      ),
    );
  const info = [...found.values()][0]!;
  const state = await keyState(info.key, now);
  if (state !== 'usable') return refused(unusableError(state, 'the key', info.fingerprint), info.fingerprint);
  const { key: _parsed, ...facts } = info;
  return { state: 'key', key: facts };
}

function refused(err: unknown, fingerprint: string | null = null): AttachedKey {
  if (err instanceof AppError) return { state: 'refused', code: err.code, message: err.message, fingerprint };
  return { state: 'refused', code: 'KEY_UNREADABLE', message: (err as Error).message, fingerprint };
}

/** What the moderators and the sender are shown of a key: its facts and whether a user ID names `address`. */
export interface KeyView {
  fingerprint: string;
  /** In groups of four, for reading aloud and comparing. */
  spaced: string;
  created: string;
  expires: string | null;
  userIds: string[];
  /** A user ID names the address the key is for. */
  matches: boolean;
}

export function viewKey(
  key: Pick<KeyFacts, 'fingerprint' | 'created' | 'expires' | 'userIds'>,
  address: string,
): KeyView {
  return {
    fingerprint: key.fingerprint,
    spaced: formatFingerprint(key.fingerprint),
    created: key.created.toISOString(),
    expires: key.expires?.toISOString() ?? null,
    userIds: key.userIds,
    matches: userIdMatches(key.userIds, address),
  };
}

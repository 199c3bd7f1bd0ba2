/**
 * Reading a person's public OpenPGP key (OpenPGP.js): its fingerprint, the user IDs it really
 * carries (a valid self-certification), when it was made and stops being usable, whether it is
 * revoked, and whether it can be encrypted to at a given moment. No crypto of our own.
 *
 * What is refused, with a stable code: nothing or garbage (KEY_UNREADABLE), more than
 * MAX_KEY_BYTES (KEY_TOO_LARGE), secret key material (KEY_IS_SECRET: never stored), and more than
 * one key in one input (KEY_MULTIPLE: we do not guess which one was meant).
 */
import { openpgp, type Key, type PublicKey } from './lib';
import { AppError } from '../errors';
import { normalizeAddress } from '../message/address';

/**
 * The largest key input we read. A key with its encryption subkey is under 1 KiB (cv25519) or a
 * few KiB (RSA 4096); a key flooded with third-party signatures (CVE-2019-13050) is megabytes.
 */
export const MAX_KEY_BYTES = 256 * 1024;

export interface PublicKeyInfo {
  key: PublicKey;
  /** The public key alone, armored again by us: nothing the input carried around it. */
  armored: string;
  /** 40 (v4) or 64 (v6) upper-case hex digits. */
  fingerprint: string;
  /** User IDs with a valid self-certification now ("Name <address>"); others are left out. */
  userIds: string[];
  created: Date;
  /** When it stops being usable for encryption (the primary key's or the encryption subkey's end, the earlier); null: never. */
  expires: Date | null;
  revoked: boolean;
}

/** Why a key cannot be encrypted to at a moment; 'usable' when it can. */
export type KeyState = 'usable' | 'expired' | 'revoked' | 'no-encryption';

function looksArmored(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, Math.min(bytes.length, 64 * 1024)))
    .toString('latin1')
    .includes('-----BEGIN PGP ');
}

const ARMOR_BLOCK = /-----BEGIN PGP ([A-Z ]+)-----[\s\S]*?-----END PGP \1-----/g;

/** The armored blocks of a text, each whole (OpenPGP.js reads only the first of several). */
export function armorBlocks(text: string): string[] {
  return text.match(ARMOR_BLOCK) ?? [text];
}

/** Every key in an input, armored or binary, of any kind (public or secret). */
async function readAnyKeys(input: string | Uint8Array, what: string): Promise<Key[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (bytes.length > MAX_KEY_BYTES)
    throw new AppError(
      'KEY_TOO_LARGE',
      `${what} is larger than ${MAX_KEY_BYTES / 1024} KiB; export the key alone (gpg --armor --export-options export-minimal --export FINGERPRINT)`,
    );
  if (Buffer.from(bytes).toString('latin1').trim() === '')
    throw new AppError('KEY_UNREADABLE', `${what} is empty; expected an OpenPGP public key`);
  try {
    if (!looksArmored(bytes)) return await openpgp.readKeys({ binaryKeys: new Uint8Array(bytes) });
    // OpenPGP.js reads the first armored block and ignores the rest: read every one.
    const text = Buffer.from(bytes).toString('utf8');
    const blocks = armorBlocks(text);
    const keys: Key[] = [];
    for (const block of blocks) keys.push(...(await openpgp.readKeys({ armoredKeys: block })));
    return keys;
  } catch (err) {
    throw new AppError(
      'KEY_UNREADABLE',
      `${what} is not an OpenPGP key (${(err as Error).message}); expected the output of "gpg --armor --export FINGERPRINT"`,
      { cause: err },
    );
  }
}

/**
 * One public key from armored or binary input. Refuses secret keys (naming no secret), several
 * keys, garbage and oversized input; does not judge usability (see keyState).
 */
export async function readPublicKey(
  input: string | Uint8Array,
  opts: { what?: string; now?: Date } = {},
): Promise<PublicKeyInfo> {
  const what = opts.what ?? 'the key';
  const keys = await readAnyKeys(input, what);
  if (keys.some((k) => k.isPrivate()))
    throw new AppError(
      'KEY_IS_SECRET',
      `${what} holds SECRET key material, which the list never stores; give the public key (gpg --armor --export FINGERPRINT), and consider the secret key exposed to whoever saw this file`,
    );
  if (keys.length !== 1)
    throw new AppError(
      'KEY_MULTIPLE',
      `${what} holds ${keys.length} keys (${keys.map((k) => k.getFingerprint().toUpperCase()).join(', ')}); give exactly one`,
    );
  return describeKey(keys[0] as PublicKey, opts.now ?? new Date());
}

/** The facts about a parsed key at `now`. */
export async function describeKey(key: PublicKey, now: Date): Promise<PublicKeyInfo> {
  return {
    key,
    armored: key.armor(),
    fingerprint: key.getFingerprint().toUpperCase(),
    userIds: await validUserIds(key, now),
    created: key.getCreationTime(),
    expires: await encryptionExpiry(key, now),
    revoked: await isKeyRevoked(key, now),
  };
}

/** User IDs whose self-certification verifies at `now`; an unsigned UID anyone could append is left out. */
async function validUserIds(key: Key, now: Date): Promise<string[]> {
  const out: string[] = [];
  for (const user of key.users) {
    if (!user.userID) continue;
    try {
      await user.verify(now);
      out.push(user.userID.userID);
    } catch {
      // unsigned, revoked, or not valid at `now`
    }
  }
  if (out.length > 0 || (await keyState(key, now)) === 'usable') return out;
  // An expired key verifies nothing now: its user IDs whose self-certification held when it was made.
  for (const user of key.users) {
    const made = user.selfCertifications.map((s) => s.created?.getTime() ?? 0);
    if (!user.userID || made.length === 0) continue;
    try {
      await user.verify(new Date(Math.max(...made)));
      out.push(user.userID.userID);
    } catch {
      // unsigned or revoked
    }
  }
  return out;
}

async function isKeyRevoked(key: Key, now: Date): Promise<boolean> {
  try {
    return await key.isRevoked(undefined, undefined, now);
  } catch {
    return false;
  }
}

function finite(d: Date | number | null): Date | null {
  return d instanceof Date && Number.isFinite(d.getTime()) ? d : null;
}

async function encryptionExpiry(key: Key, now: Date): Promise<Date | null> {
  let primary: Date | null = null;
  try {
    primary = finite(await key.getExpirationTime());
  } catch {
    primary = null;
  }
  let sub: Date | null = null;
  try {
    const enc = await key.getEncryptionKey(undefined, now);
    if (enc instanceof openpgp.Subkey) sub = finite(await enc.getExpirationTime());
  } catch {
    sub = null;
  }
  if (primary && sub) return primary < sub ? primary : sub;
  return primary ?? sub;
}

const ENCRYPTION_ALGORITHMS = new Set<string>(['rsaEncryptSign', 'rsaEncrypt', 'elgamal', 'ecdh', 'x25519', 'x448']);

/** Can `key` be encrypted to at `at`? If not, why. */
export async function keyState(key: Key, at: Date): Promise<KeyState> {
  if (await isKeyRevoked(key, at)) return 'revoked';
  try {
    await key.getEncryptionKey(undefined, at);
    return 'usable';
  } catch {
    // why not: below
  }
  try {
    await key.verifyPrimaryKey(at);
  } catch (err) {
    return /expired/i.test((err as Error).message) ? 'expired' : 'no-encryption';
  }
  // The primary key is fine: an encryption subkey that has expired, or none at all.
  for (const sub of key.getSubkeys()) {
    const algo = sub.getAlgorithmInfo().algorithm as string;
    if (!ENCRYPTION_ALGORITHMS.has(algo)) continue;
    try {
      const end = finite(await sub.getExpirationTime());
      if (end && end <= at) return 'expired';
    } catch {
      // an invalid binding: not usable either way
    }
  }
  return 'no-encryption';
}

/** The sentence for a key that cannot be used, with its code. */
export function unusableError(state: Exclude<KeyState, 'usable'>, what: string, fingerprint: string): AppError {
  switch (state) {
    case 'expired':
      return new AppError(
        'KEY_EXPIRED',
        `${what} ${fingerprint} has expired; ask its holder to extend it (gpg --quick-set-expire) and send it again`,
      );
    case 'revoked':
      return new AppError('KEY_REVOKED', `${what} ${fingerprint} is revoked; ask its holder for their new key`);
    case 'no-encryption':
      return new AppError(
        'KEY_NO_ENCRYPTION',
        `${what} ${fingerprint} has no subkey that can encrypt now (a signing-only key?); its holder can add one with gpg --quick-add-key ${fingerprint} cv25519 encr`,
      );
  }
}

/** The address in a user ID: "Name <a@b>" or a bare "a@b"; null when there is none. */
export function userIdAddress(userId: string): string | null {
  const angle = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(userId);
  if (angle) return normalizeAddress(angle[1]!);
  const bare = userId.trim();
  return /^[^\s<>@]+@[^\s<>@]+$/.test(bare) ? normalizeAddress(bare) : null;
}

/** Does one of the user IDs name `address` (case-insensitively)? */
export function userIdMatches(userIds: readonly string[], address: string): boolean {
  const want = normalizeAddress(address);
  return userIds.some((u) => userIdAddress(u) === want);
}

/** "B5F2 AD66 9DF4 2218 ..." for people to compare. */
export function formatFingerprint(fingerprint: string): string {
  return (
    fingerprint
      .toUpperCase()
      .match(/.{1,4}/g)
      ?.join(' ') ?? fingerprint
  );
}

/**
 * Console accounts: the configured moderators, each with a password set on the server
 * (`embargo-list console passwd`), stored as an scrypt hash with a random salt. Sign-in is locked
 * for an address after LOCKOUT_FAILURES failures in LOCKOUT_MINUTES, whether the account exists
 * or not, so that the answer never tells which addresses have one.
 */
import crypto from 'node:crypto';
import type { Config } from '../config';
import { cached, type Db } from '../store/db';

export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_MINUTES = 15;
export const MIN_PASSWORD_LENGTH = 12;

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

/** "scrypt$N$r$p$salt$hash", salt and hash in base64. */
export function hashPassword(password: string): string {
  const salt = crypto.randomBytes(16);
  const hash = crypto.scryptSync(password.normalize('NFC'), salt, SCRYPT.keylen, {
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
  });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export function verifyPassword(password: string, stored: string): boolean {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = crypto.scryptSync(password.normalize('NFC'), Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}

/** A hash of a password nobody knows, verified when the account does not exist: the same work either way. */
const DUMMY_HASH = hashPassword(crypto.randomBytes(16).toString('hex'));

export function isModerator(config: Config, address: string): boolean {
  const a = address.trim().toLowerCase();
  return config.list.moderators.some((m) => m.toLowerCase() === a);
}

export function setPassword(db: Db, address: string, password: string, at: string): void {
  cached(
    db,
    `INSERT INTO console_accounts (address, password_hash, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (address) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
  ).run(address.trim().toLowerCase(), hashPassword(password), at);
}

export function hasAccount(db: Db, address: string): boolean {
  return cached(db, 'SELECT 1 FROM console_accounts WHERE address = ?').get(address.trim().toLowerCase()) !== undefined;
}

export type LoginResult = { ok: true; address: string } | { ok: false; why: 'wrong' | 'locked' };

export function isLocked(db: Db, address: string, now: Date): boolean {
  const since = new Date(now.getTime() - LOCKOUT_MINUTES * 60_000).toISOString();
  const n = cached(db, 'SELECT count(*) FROM console_login_failures WHERE address = ? AND at > ?')
    .pluck()
    .get(address, since) as number;
  return n >= LOCKOUT_FAILURES;
}

/**
 * Checks an address and password. An address that is not a configured moderator, or has no
 * password, fails exactly like a wrong password and counts towards the lockout.
 */
export function checkLogin(db: Db, config: Config, rawAddress: string, password: string, now: Date): LoginResult {
  const address = rawAddress.trim().toLowerCase().slice(0, 320);
  if (isLocked(db, address, now)) return { ok: false, why: 'locked' };
  const row = cached(db, 'SELECT password_hash FROM console_accounts WHERE address = ?').get(address) as
    { password_hash: string } | undefined;
  const passwordOk = verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
  if (row && passwordOk && isModerator(config, address)) {
    cached(db, 'DELETE FROM console_login_failures WHERE address = ?').run(address);
    return { ok: true, address };
  }
  cached(db, 'INSERT INTO console_login_failures (address, at) VALUES (?, ?)').run(address, now.toISOString());
  // Old failures count for nothing; keep the table small.
  cached(db, 'DELETE FROM console_login_failures WHERE at < ?').run(
    new Date(now.getTime() - 24 * 3_600_000).toISOString(),
  );
  return { ok: false, why: isLocked(db, address, now) ? 'locked' : 'wrong' };
}

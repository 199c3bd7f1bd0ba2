/**
 * Console accounts: the configured moderators, each with a password set on the server
 * (`embargo-list console passwd`), stored as an scrypt hash with a random salt. Sign-in is locked
 * for an address after LOCKOUT_FAILURES failures in LOCKOUT_MINUTES, whether the account exists
 * or not, so that the answer never tells which addresses have one. Anyone who reaches the console
 * can keep that lockout going: `console unlock` and `console passwd` end it, and a client address
 * (IP) with IP_LIMIT_FAILURES failures in IP_LIMIT_MINUTES is refused whatever the account.
 */
import crypto from 'node:crypto';
import type { Config } from '../config';
import { cached, transaction, type Db } from '../store/db';
import { deleteSessionsOf } from './sessions';

export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_MINUTES = 15;
export const MIN_PASSWORD_LENGTH = 12;
/** A client address (IP) with this many failures in IP_LIMIT_MINUTES is refused (429), whatever the account. */
export const IP_LIMIT_FAILURES = 20;
export const IP_LIMIT_MINUTES = 15;
/** Password checks (scrypt, 16 MB and tens of ms each) running at once; more are refused with 503. */
export const MAX_VERIFICATIONS = 2;

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

function scrypt(password: string, salt: Buffer, keylen: number, opts: crypto.ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Checks a password against its stored hash with the asynchronous scrypt (in libuv's thread
 * pool): a sign-in costs the event loop nothing, where scryptSync held it 40-90 ms.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  let got: Buffer;
  try {
    got = await scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
    });
  } catch {
    // Parameters scrypt refuses (a damaged row): no password matches it.
    return false;
  }
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}

/**
 * A hash of a password nobody knows, verified when the account does not exist: the same work
 * either way. Made on the first sign-in, not when the module loads (every command loads it).
 */
let dummyHash: Promise<string> | undefined;
const unknownAccountHash = (): Promise<string> =>
  (dummyHash ??= (async () => {
    const salt = crypto.randomBytes(16);
    const hash = await scrypt(crypto.randomBytes(16).toString('hex'), salt, SCRYPT.keylen, {
      N: SCRYPT.N,
      r: SCRYPT.r,
      p: SCRYPT.p,
    });
    return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
  })());

export function isModerator(config: Config, address: string): boolean {
  const a = address.trim().toLowerCase();
  return config.list.moderators.some((m) => m.toLowerCase() === a);
}

/**
 * Sets a password. The moderator's sessions end (a changed password is often a suspected one),
 * and the address's failed sign-ins are forgotten, which ends its lockout.
 */
export function setPassword(db: Db, address: string, password: string, at: string): void {
  const a = address.trim().toLowerCase();
  const hash = hashPassword(password);
  transaction(db, () => {
    cached(
      db,
      `INSERT INTO console_accounts (address, password_hash, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (address) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
    ).run(a, hash, at);
    deleteSessionsOf(db, a);
    unlockAddress(db, a);
  });
}

export function hasAccount(db: Db, address: string): boolean {
  return cached(db, 'SELECT 1 FROM console_accounts WHERE address = ?').get(address.trim().toLowerCase()) !== undefined;
}

/** Forgets an address's failed sign-ins, which ends its lockout; returns how many there were. */
export function unlockAddress(db: Db, address: string): number {
  return cached(db, 'DELETE FROM console_login_failures WHERE address = ?').run(address.trim().toLowerCase()).changes;
}

/** Forgets the failed sign-ins from a client address (IP), which ends its limit; returns how many. */
export function unlockIp(db: Db, ip: string): number {
  return cached(db, 'DELETE FROM console_login_failures WHERE ip = ?').run(ip).changes;
}

/**
 * wrong: the address or the password is wrong; locked: the account's lockout; ip-limited: too
 * many failures from this client address; busy: MAX_VERIFICATIONS sign-ins are being checked.
 */
export type LoginFailure = 'wrong' | 'locked' | 'ip-limited' | 'busy';
export type LoginResult = { ok: true; address: string } | { ok: false; why: LoginFailure; address: string };

const since = (now: Date, minutes: number): string => new Date(now.getTime() - minutes * 60_000).toISOString();

export function isLocked(db: Db, address: string, now: Date): boolean {
  const n = cached(db, 'SELECT count(*) FROM console_login_failures WHERE address = ? AND at > ?')
    .pluck()
    .get(address, since(now, LOCKOUT_MINUTES)) as number;
  return n >= LOCKOUT_FAILURES;
}

export function isIpLimited(db: Db, ip: string, now: Date): boolean {
  const n = cached(db, 'SELECT count(*) FROM console_login_failures WHERE ip = ? AND at > ?')
    .pluck()
    .get(ip, since(now, IP_LIMIT_MINUTES)) as number;
  return n >= IP_LIMIT_FAILURES;
}

/** At most `max` password checks at once; the others are refused at once (503), never queued. */
export class VerifySlots {
  private used = 0;
  constructor(readonly max: number = MAX_VERIFICATIONS) {}
  tryTake(): boolean {
    if (this.used >= this.max) return false;
    this.used += 1;
    return true;
  }
  release(): void {
    this.used = Math.max(0, this.used - 1);
  }
}

/**
 * Checks an address and password from a client address (ip). An address that is not a configured
 * moderator, or has no password, fails exactly like a wrong password and counts towards the
 * lockout. The cheap refusals come first (the client address's limit, the account's lockout) and
 * record nothing; then a slot for the scrypt check, or busy.
 */
export async function checkLogin(
  db: Db,
  config: Config,
  rawAddress: string,
  password: string,
  now: Date,
  client: { ip: string; slots: VerifySlots },
): Promise<LoginResult> {
  const address = rawAddress.trim().toLowerCase().slice(0, 320);
  if (isIpLimited(db, client.ip, now)) return { ok: false, why: 'ip-limited', address };
  if (isLocked(db, address, now)) return { ok: false, why: 'locked', address };
  if (!client.slots.tryTake()) return { ok: false, why: 'busy', address };
  let passwordOk: boolean;
  let row: { password_hash: string } | undefined;
  try {
    row = cached(db, 'SELECT password_hash FROM console_accounts WHERE address = ?').get(address) as
      { password_hash: string } | undefined;
    passwordOk = await verifyPassword(password, row?.password_hash ?? (await unknownAccountHash()));
  } finally {
    client.slots.release();
  }
  if (row && passwordOk && isModerator(config, address)) {
    unlockAddress(db, address);
    return { ok: true, address };
  }
  cached(db, 'INSERT INTO console_login_failures (address, at, ip) VALUES (?, ?, ?)').run(
    address,
    now.toISOString(),
    client.ip,
  );
  // Old failures count for nothing; keep the table small (a range of the index on at).
  cached(db, 'DELETE FROM console_login_failures WHERE at < ?').run(
    new Date(now.getTime() - 24 * 3_600_000).toISOString(),
  );
  return { ok: false, why: isLocked(db, address, now) ? 'locked' : 'wrong', address };
}

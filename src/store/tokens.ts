/**
 * Single-use tokens: 128 random bits, base32, that travel in our Message-IDs and subjects. A reply
 * is tied to what it answers only through one of these, never through a subject line alone.
 */
import crypto from 'node:crypto';
import { TOKEN_ALPHABET, type TokenPurpose } from '../message/tokens';
import { cached, type Db } from './db';

// The format and the purposes live with the pure token code (message/tokens); re-exported for the stores' callers.
export { MODERATOR_PURPOSES, TOKEN_PATTERN, type TokenPurpose } from '../message/tokens';

export interface TokenRow {
  token: string;
  purpose: TokenPurpose;
  request_id: number | null;
  subject: string | null;
  detail: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: string | null;
  retired_at: string | null;
}

/** 128 random bits as 26 base32 characters (lower case, RFC 4648 alphabet). */
export function newToken(): string {
  let n = BigInt(`0x${crypto.randomBytes(16).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 26; i += 1) {
    out = TOKEN_ALPHABET[Number(n & 31n)]! + out;
    n >>= 5n;
  }
  return out;
}

export function createToken(
  db: Db,
  t: {
    purpose: TokenPurpose;
    requestId?: number | null;
    subject?: string | null;
    detail?: unknown;
    at: Date;
    days: number;
  },
): string {
  const token = newToken();
  cached(
    db,
    'INSERT INTO tokens (token, purpose, request_id, subject, detail, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(
    token,
    t.purpose,
    t.requestId ?? null,
    t.subject ?? null,
    t.detail === undefined ? null : JSON.stringify(t.detail),
    t.at.toISOString(),
    new Date(t.at.getTime() + t.days * 86_400_000).toISOString(),
  );
  return token;
}

export function findToken(db: Db, token: string): TokenRow | undefined {
  return cached(db, 'SELECT * FROM tokens WHERE token = ?').get(token.toLowerCase()) as TokenRow | undefined;
}

export function useToken(db: Db, token: string, by: string, at: string): boolean {
  return (
    cached(db, 'UPDATE tokens SET used_at = ?, used_by = ? WHERE token = ? AND used_at IS NULL').run(at, by, token)
      .changes === 1
  );
}

/** Retires every unused token of a request for a purpose (a decision closes them all). */
export function retireTokens(db: Db, requestId: number, purpose: TokenPurpose, by: string, at: string): void {
  cached(db, 'UPDATE tokens SET used_at = ?, used_by = ? WHERE request_id = ? AND purpose = ? AND used_at IS NULL').run(
    at,
    by,
    requestId,
    purpose,
  );
}

export function liveToken(db: Db, requestId: number, purpose: TokenPurpose, now: string): TokenRow | undefined {
  return cached(
    db,
    'SELECT * FROM tokens WHERE request_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 1',
  ).get(requestId, purpose, now) as TokenRow | undefined;
}

/** Expired, never used, and not yet dealt with by the expiry clock. */
export function expiredUnhandled(db: Db, purpose: TokenPurpose, now: string): TokenRow[] {
  return cached(
    db,
    'SELECT * FROM tokens WHERE purpose = ? AND used_at IS NULL AND retired_at IS NULL AND expires_at <= ?',
  ).all(purpose, now) as TokenRow[];
}

/** The expiry clock has dealt with this token. It stays unused: a late reply is told it expired. */
export function markRetired(db: Db, token: string, at: string): void {
  cached(db, 'UPDATE tokens SET retired_at = ? WHERE token = ?').run(at, token);
}

/** The newest token of a purpose for a request, used or not (a server action names the request, not the token). */
export function newestRequestToken(db: Db, requestId: number, purpose: TokenPurpose): TokenRow | undefined {
  return cached(
    db,
    'SELECT * FROM tokens WHERE request_id = ? AND purpose = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
  ).get(requestId, purpose) as TokenRow | undefined;
}

/** The newest token of a purpose whose subject is `subject` (a thread, a leak, a held message). */
export function newestSubjectToken(db: Db, purpose: TokenPurpose, subject: string): TokenRow | undefined {
  return cached(
    db,
    'SELECT * FROM tokens WHERE purpose = ? AND subject = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
  ).get(purpose, subject) as TokenRow | undefined;
}

/** The "send" token of a returned post (a moderator's post without a usable embargo end), by the post's inbound id. */
export function returnedPostToken(db: Db, inboundId: number): TokenRow | undefined {
  return cached(
    db,
    "SELECT * FROM tokens WHERE purpose = 'send' AND json_extract(detail, '$.inboundId') = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
  ).get(inboundId) as TokenRow | undefined;
}

/** Returned posts that can still be sent: their "send" token unused and not expired, oldest first. */
export function returnedPosts(db: Db, now: string): TokenRow[] {
  return cached(
    db,
    "SELECT * FROM tokens WHERE purpose = 'send' AND used_at IS NULL AND expires_at > ? ORDER BY created_at",
  ).all(now) as TokenRow[];
}

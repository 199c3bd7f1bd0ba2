/**
 * Console sessions, server-side in SQLite: the cookie holds a random id, the table its SHA-256
 * (a copy of the database opens no session), the moderator, the CSRF token and the expiry.
 */
import crypto from 'node:crypto';
import { cached, type Db } from '../store/db';

export interface Session {
  idHash: string;
  address: string;
  csrfToken: string;
  expiresAt: string;
}

const hashId = (id: string): string => crypto.createHash('sha256').update(id).digest('hex');

export function createSession(db: Db, address: string, now: Date, hours: number): { id: string; session: Session } {
  const id = crypto.randomBytes(32).toString('base64url');
  const session: Session = {
    idHash: hashId(id),
    address,
    csrfToken: crypto.randomBytes(32).toString('base64url'),
    expiresAt: new Date(now.getTime() + hours * 3_600_000).toISOString(),
  };
  cached(db, 'DELETE FROM console_sessions WHERE expires_at <= ?').run(now.toISOString());
  cached(
    db,
    'INSERT INTO console_sessions (id_hash, address, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  ).run(session.idHash, address, session.csrfToken, now.toISOString(), session.expiresAt);
  return { id, session };
}

/** The live session of a cookie value; an expired one is deleted and gives undefined. */
export function findSession(db: Db, id: string | undefined, now: Date): Session | undefined {
  if (!id || !/^[\w-]{20,100}$/.test(id)) return undefined;
  const row = cached(db, 'SELECT id_hash, address, csrf_token, expires_at FROM console_sessions WHERE id_hash = ?').get(
    hashId(id),
  ) as { id_hash: string; address: string; csrf_token: string; expires_at: string } | undefined;
  if (!row) return undefined;
  if (Date.parse(row.expires_at) <= now.getTime()) {
    cached(db, 'DELETE FROM console_sessions WHERE id_hash = ?').run(row.id_hash);
    return undefined;
  }
  return { idHash: row.id_hash, address: row.address, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export function deleteSession(db: Db, session: Session): void {
  cached(db, 'DELETE FROM console_sessions WHERE id_hash = ?').run(session.idHash);
}

/** Ends every session of a moderator (console signout, a changed password); returns how many. */
export function deleteSessionsOf(db: Db, address: string): number {
  return cached(db, 'DELETE FROM console_sessions WHERE address = ?').run(address.trim().toLowerCase()).changes;
}

/** A one-time notice for the next page the moderator sees (the outcome of an action). */
export function setFlash(db: Db, session: Session, text: string): void {
  cached(db, 'UPDATE console_sessions SET flash = ? WHERE id_hash = ?').run(text, session.idHash);
}

export function takeFlash(db: Db, session: Session): string | null {
  const flash = cached(db, 'SELECT flash FROM console_sessions WHERE id_hash = ?').pluck().get(session.idHash) as
    string | null | undefined;
  if (flash) cached(db, 'UPDATE console_sessions SET flash = NULL WHERE id_hash = ?').run(session.idHash);
  return flash ?? null;
}

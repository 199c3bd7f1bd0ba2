/**
 * The outbox: mail we want sent, written in the same transaction as the state change that caused
 * it, and drained by the deliver runner after the commit. One row per recipient.
 */
import { cached, type Db } from './db';

export interface OutboundMail {
  inboundId: number | null;
  purpose: string;
  envelopeFrom: string;
  messageId: string | null;
  raw: Buffer;
  recipients: string[];
  /** A per-recipient envelope sender (VERP), when it differs from envelopeFrom. */
  envelopeFor?: (recipient: string) => string | null;
  /** The fingerprint of the member key each copy must be encrypted to at delivery (openpgp/outbound.ts); null: clear. */
  encryptTo?: (recipient: string) => string | null;
}

export interface DeliveryRow {
  id: number;
  message: number;
  recipient: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  last_code: number | null;
  last_error: string | null;
  /** The fingerprint the copy must be encrypted to at delivery; null: sent in the clear. */
  encrypt_to: string | null;
}

export interface ClaimedDelivery extends DeliveryRow {
  envelope_from: string;
  raw: Buffer;
  purpose: string;
  mail_message_id: string | null;
}

/** Queues one mail for its recipients (duplicates removed, case-insensitively). Returns the number of copies. */
export function enqueueMail(db: Db, mail: OutboundMail, at: string): number {
  const { lastInsertRowid } = cached(
    db,
    'INSERT INTO outbox_message (created_at, inbound_id, purpose, envelope_from, message_id, raw) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(at, mail.inboundId, mail.purpose, mail.envelopeFrom, mail.messageId, mail.raw);
  const insert = cached(
    db,
    'INSERT INTO outbox (message, recipient, next_attempt_at, created_at, envelope_from, encrypt_to) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const seen = new Set<string>();
  for (const r of mail.recipients) {
    const key = r.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    insert.run(lastInsertRowid, r, at, at, mail.envelopeFor?.(r) ?? null, mail.encryptTo?.(r) ?? null);
  }
  return seen.size;
}

/**
 * Claims up to `limit` copies that are due, so that no other process sends them too. The copies of
 * one mail share one Buffer of its bytes: the rendered mail is held once per mail, not per member.
 */
export function claimDue(db: Db, owner: string, now: string, limit: number): ClaimedDelivery[] {
  return db
    .transaction(() => {
      const rows = cached(
        db,
        `SELECT o.*, coalesce(o.envelope_from, m.envelope_from) AS envelope_from, m.purpose, m.message_id AS mail_message_id
         FROM outbox o JOIN outbox_message m ON m.id = o.message
         WHERE o.status = 'pending' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?`,
      ).all(now, limit) as ClaimedDelivery[];
      const claim = cached(
        db,
        "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ?, attempts = attempts + 1 WHERE id = ?",
      );
      const raw = cached(db, 'SELECT raw FROM outbox_message WHERE id = ?').pluck();
      const bytes = new Map<number, Buffer>();
      for (const r of rows) {
        claim.run(owner, now, r.id);
        r.attempts += 1;
        let b = bytes.get(r.message);
        if (!b) bytes.set(r.message, (b = raw.get(r.message) as Buffer));
        r.raw = b;
      }
      return rows;
    })
    .immediate();
}

/** Gives back copies this process claimed but did not start sending (it is stopping): as if never claimed. */
export function releaseClaims(db: Db, owner: string, ids: number[]): number {
  const release = cached(
    db,
    "UPDATE outbox SET status = 'pending', claimed_by = NULL, attempts = attempts - 1 WHERE id = ? AND status = 'sending' AND claimed_by = ?",
  );
  return db.transaction(() => ids.reduce((n, id) => n + release.run(id, owner).changes, 0)).immediate();
}

export function markSent(db: Db, id: number, code: number | null, at: string): void {
  cached(
    db,
    "UPDATE outbox SET status = 'sent', last_code = ?, last_error = NULL, finished_at = ?, claimed_by = NULL WHERE id = ?",
  ).run(code, at, id);
}

export function markRetry(db: Db, id: number, code: number | null, error: string, nextAt: string): void {
  cached(
    db,
    "UPDATE outbox SET status = 'pending', last_code = ?, last_error = ?, next_attempt_at = ?, claimed_by = NULL WHERE id = ?",
  ).run(code, error, nextAt, id);
}

/**
 * Gives back a copy the relay as a whole could not take (421, a connection that failed): pending
 * again and due as it was, so it goes first when the relay is back; the reply is kept to show.
 */
export function markRequeued(db: Db, id: number, code: number | null, error: string): void {
  cached(db, "UPDATE outbox SET status = 'pending', last_code = ?, last_error = ?, claimed_by = NULL WHERE id = ?").run(
    code,
    error,
    id,
  );
}

export function markFailed(db: Db, id: number, code: number | null, error: string, at: string): void {
  cached(
    db,
    "UPDATE outbox SET status = 'failed', last_code = ?, last_error = ?, finished_at = ?, claimed_by = NULL WHERE id = ?",
  ).run(code, error, at, id);
}

/**
 * Puts back copies claimed by a process that no longer runs (killed mid-send): they are sent
 * again, which is the one duplicate a crash may cause. Returns how many were put back.
 */
export function releaseOrphans(db: Db, isAlive: (owner: string) => boolean): number {
  const owners = cached(db, "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'sending'").pluck().all() as (
    string | null
  )[];
  let released = 0;
  for (const owner of owners) {
    if (owner !== null && isAlive(owner)) continue;
    released += cached(
      db,
      "UPDATE outbox SET status = 'pending', claimed_by = NULL WHERE status = 'sending' AND claimed_by IS ?",
    ).run(owner).changes;
  }
  return released;
}

/** A claim older than this is stale: its copy should have been sent and marked long before. */
export const STALE_CLAIM_MS = 5 * 60_000;

/**
 * Gives back the copies `owner` (this running process) claimed before `before` and no longer has
 * in hand (`inHand`: the copies it is sending or recording right now), as if never claimed: a
 * claim left behind by a write that failed goes back to the queue without a restart. Returns how many.
 */
export function releaseStaleClaims(db: Db, owner: string, before: string, inHand: ReadonlySet<number>): number {
  const ids = (
    cached(db, "SELECT id FROM outbox WHERE status = 'sending' AND claimed_by = ? AND claimed_at < ?")
      .pluck()
      .all(owner, before) as number[]
  ).filter((id) => !inHand.has(id));
  if (ids.length === 0) return 0;
  // The attempt stays counted: the copy may have been tried before its claim was left behind.
  const release = cached(
    db,
    "UPDATE outbox SET status = 'pending', claimed_by = NULL WHERE id = ? AND status = 'sending' AND claimed_by = ?",
  );
  return db.transaction(() => ids.reduce((n, id) => n + release.run(id, owner).changes, 0)).immediate();
}

/**
 * A member who leaves or is removed gets nothing more that was queued for it as a member (list
 * posts, thread notices); copies already in flight cannot be called back. Returns the count.
 */
export function cancelMemberMail(db: Db, recipient: string, reason: string, at: string): number {
  return cached(
    db,
    `UPDATE outbox SET status = 'failed', last_error = ?, finished_at = ? WHERE status = 'pending' AND recipient = ? COLLATE NOCASE
       AND message IN (SELECT id FROM outbox_message WHERE purpose = 'relay' OR purpose LIKE 'member.%')`,
  ).run(reason, at, recipient).changes;
}

export function outboxCounts(db: Db): Record<string, number> {
  const rows = cached(db, 'SELECT status, count(*) AS n FROM outbox GROUP BY status').all() as {
    status: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export function nextDueAt(db: Db): string | undefined {
  return cached(db, "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'").pluck().get() as
    string | undefined;
}

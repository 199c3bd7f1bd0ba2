import crypto from 'node:crypto';
import { cached, type Db } from './db';

export type InboundStatus = 'received' | 'processed' | 'quarantined';

export interface InboundRow {
  id: number;
  source_ref: string;
  received_at: string;
  sha256: string;
  size: number;
  raw: Buffer;
  /**
   * The decrypted message, when `raw` is encrypted to the list's key and a later action may relay
   * it (held and relayable, or returned with a send token); NULL otherwise (migration 0014).
   */
  opened_raw: Buffer | null;
  message_id: string | null;
  sender: string | null;
  subject: string | null;
  status: InboundStatus;
  attempts: number;
  outcome: string | null;
  hits: string | null;
  error_code: string | null;
  error_message: string | null;
  processed_at: string | null;
}

export function sha256(raw: Buffer): string {
  return crypto.createHash('sha256').update(raw).digest('hex');
}

export function findInbound(db: Db, sourceRef: string): InboundRow | undefined {
  return cached(db, 'SELECT * FROM inbound WHERE source_ref = ?').get(sourceRef) as InboundRow | undefined;
}

export function getInbound(db: Db, id: number): InboundRow | undefined {
  return cached(db, 'SELECT * FROM inbound WHERE id = ?').get(id) as InboundRow | undefined;
}

/**
 * Records the raw bytes of a copy before anything else happens to it, and counts the attempt.
 * Returns the row as it is now: a final status means the copy was handled before.
 */
export function recordInbound(db: Db, sourceRef: string, raw: Buffer, at: string): InboundRow {
  cached(
    db,
    `INSERT INTO inbound (source_ref, received_at, sha256, size, raw, attempts) VALUES (?, ?, ?, ?, ?, 1)
     ON CONFLICT (source_ref) DO UPDATE SET attempts = attempts + 1 WHERE status = 'received'`,
  ).run(sourceRef, at, sha256(raw), raw.length, raw);
  return findInbound(db, sourceRef)!;
}

export interface Disposition {
  status: Exclude<InboundStatus, 'received'>;
  outcome: string;
  hits: unknown[];
  messageId?: string | null;
  sender?: string | null;
  subject?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

export function finishInbound(db: Db, id: number, d: Disposition, at: string): void {
  cached(
    db,
    `UPDATE inbound SET status = ?, outcome = ?, hits = ?, message_id = coalesce(?, message_id), sender = coalesce(?, sender),
       subject = coalesce(?, subject), error_code = ?, error_message = ?, processed_at = ? WHERE id = ?`,
  ).run(
    d.status,
    d.outcome,
    JSON.stringify(d.hits),
    d.messageId ?? null,
    d.sender ?? null,
    d.subject ?? null,
    d.errorCode ?? null,
    d.errorMessage ?? null,
    at,
    id,
  );
}

/**
 * The bytes a later action relays: the decrypted message when one is kept (keepOpened), else the
 * recorded ones. Only APPROVE of a held post and SEND of a returned post read this.
 */
export function relayableRaw(row: InboundRow): Buffer {
  return row.opened_raw ?? row.raw;
}

/** Keeps the decrypted bytes of a message encrypted to the list's key until a later action relays them. */
export function keepOpened(db: Db, id: number, opened: Buffer): void {
  cached(db, 'UPDATE inbound SET opened_raw = ? WHERE id = ?').run(opened, id);
}

/** Drops the kept plaintext (the held post was decided, the send token used): only `raw`, encrypted, stays. */
export function clearOpened(db: Db, id: number): void {
  cached(db, 'UPDATE inbound SET opened_raw = NULL WHERE id = ? AND opened_raw IS NOT NULL').run(id);
}

/**
 * Drops the kept plaintext of returned posts whose send token expired unused: SEND can no longer
 * open them. Returns how many were cleared.
 */
export function clearOpenedOfExpiredSends(db: Db, now: string): number {
  return cached(
    db,
    `UPDATE inbound SET opened_raw = NULL WHERE opened_raw IS NOT NULL AND id IN (
       SELECT json_extract(detail, '$.inboundId') FROM tokens
        WHERE purpose = 'send' AND used_at IS NULL AND expires_at <= ?)`,
  ).run(now).changes;
}

export function setOutcome(db: Db, id: number, outcome: string): void {
  cached(db, 'UPDATE inbound SET outcome = ? WHERE id = ?').run(outcome, id);
}

/** Outcomes whose effect a second copy would repeat for the members (a relay, a thread, a leak count). */
const MEMBER_VISIBLE = ['relay', 'thread-post', 'open-disclosure', 'leak-report', 'ack'];

/** Has another inbound message with this Message-ID already reached the members? */
export function wasRelayed(db: Db, messageId: string, exceptId: number): boolean {
  return (
    cached(
      db,
      `SELECT 1 FROM inbound WHERE message_id = ? AND outcome IN (${MEMBER_VISIBLE.map(() => '?').join(', ')}) AND id != ? LIMIT 1`,
    ).get(messageId, ...MEMBER_VISIBLE, exceptId) !== undefined
  );
}

export function countByStatus(db: Db): Record<string, number> {
  const rows = cached(db, 'SELECT status, count(*) AS n FROM inbound GROUP BY status').all() as {
    status: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

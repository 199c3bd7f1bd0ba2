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
  /** The process handling the message now (host:pid:start); NULL when no handling is under way (migration 0017). */
  attempt_owner: string | null;
  /** Handlings that ended with their process dying (a crash), not with a result or a database error. */
  crashes: number;
  /** When `embargo-list inbound retry` put it back from quarantine; NULL once it is finished again. */
  retry_requested_at: string | null;
}

/**
 * Who starts an attempt, and how to tell whether the process that owns an earlier one still runs
 * (runners/deliver.ts OWNER and ownerAlive, as for the outbox claims).
 */
export interface AttemptOwner {
  id: string;
  alive: (owner: string) => boolean;
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
 * Records the raw bytes of a copy before anything else happens to it, and starts an attempt owned
 * by `owner`. An earlier attempt that is still marked as running and whose owner is dead ended
 * with its process dying: that counts a crash. An earlier attempt that ended otherwise (a database
 * error, which clears the mark: endAttempt) or whose owner still runs (the same process trying
 * again) counts nothing. Without an owner (tests) the attempt is unowned and nothing is counted.
 * Returns the row as it is now: a final status means the copy was handled before.
 */
export function recordInbound(db: Db, sourceRef: string, raw: Buffer, at: string, owner?: AttemptOwner): InboundRow {
  const before = findInbound(db, sourceRef);
  if (!before) {
    cached(
      db,
      `INSERT INTO inbound (source_ref, received_at, sha256, size, raw, attempts, attempt_owner) VALUES (?, ?, ?, ?, ?, 1, ?)`,
    ).run(sourceRef, at, sha256(raw), raw.length, raw, owner?.id ?? null);
    return findInbound(db, sourceRef)!;
  }
  if (before.status !== 'received') return before;
  const previous = before.attempt_owner;
  const crashed = owner !== undefined && previous !== null && previous !== owner.id && !owner.alive(previous) ? 1 : 0;
  cached(db, 'UPDATE inbound SET attempts = attempts + 1, crashes = crashes + ?, attempt_owner = ? WHERE id = ?').run(
    crashed,
    owner?.id ?? null,
    before.id,
  );
  return {
    ...before,
    attempts: before.attempts + 1,
    crashes: before.crashes + crashed,
    attempt_owner: owner?.id ?? null,
  };
}

/**
 * The attempt ended without a result and without the process dying (a database error): the next
 * one, by whichever process, is not a crash. Only the owner's own mark is cleared.
 */
export function endAttempt(db: Db, id: number, owner: string): void {
  cached(db, "UPDATE inbound SET attempt_owner = NULL WHERE id = ? AND attempt_owner = ? AND status = 'received'").run(
    id,
    owner,
  );
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
       subject = coalesce(?, subject), error_code = ?, error_message = ?, processed_at = ?, attempt_owner = NULL,
       retry_requested_at = NULL WHERE id = ?`,
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

/** An inbound message as `embargo-list inbound list` shows it. */
export interface InboundListRow {
  id: number;
  source_ref: string;
  status: InboundStatus;
  received_at: string;
  processed_at: string | null;
  error_code: string | null;
  error_message: string | null;
  sender: string | null;
  subject: string | null;
  message_id: string | null;
  size: number;
  crashes: number;
  retry_requested_at: string | null;
}

/** The messages in these states (not their bytes), newest first. */
export function listInbound(db: Db, statuses: InboundStatus[]): InboundListRow[] {
  return cached(
    db,
    `SELECT id, source_ref, status, received_at, processed_at, error_code, error_message, sender, subject, message_id,
            size, crashes, retry_requested_at
       FROM inbound WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY id DESC`,
  ).all(...statuses) as InboundListRow[];
}

/**
 * Puts a quarantined message back to `received`, its crash count at zero, for the daemon to handle
 * again (retryRequested). What it was quarantined for stays in the audit. False when the message
 * is not in quarantine (nothing is changed).
 */
export function requeueQuarantined(db: Db, id: number, at: string): boolean {
  return (
    cached(
      db,
      `UPDATE inbound SET status = 'received', outcome = NULL, hits = NULL, error_code = NULL, error_message = NULL,
         processed_at = NULL, crashes = 0, attempt_owner = NULL, retry_requested_at = ? WHERE id = ? AND status = 'quarantined'`,
    ).run(at, id).changes === 1
  );
}

/** Messages put back by `inbound retry` and not finished yet, oldest request first: their ids. */
export function retryRequested(db: Db): number[] {
  return cached(
    db,
    "SELECT id FROM inbound WHERE retry_requested_at IS NOT NULL AND status = 'received' ORDER BY retry_requested_at, id",
  )
    .pluck()
    .all() as number[];
}

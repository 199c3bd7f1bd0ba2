/** Join requests: a saved workflow per request, and the thread of what happened to it. */
import { cached, type Db } from './db';

export type RequestState = 'moderation' | 'asked' | 'confirming' | 'subscribed' | 'rejected' | 'lapsed' | 'superseded';

export interface RequestRow {
  id: number;
  state: RequestState;
  applicant: string;
  applicant_name: string;
  organization: string | null;
  alias: string | null;
  subject: string;
  answers: string;
  missing: string;
  accepts_embargo: number;
  findings: string;
  inbound_id: number | null;
  message_id: string | null;
  created_at: string;
  updated_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  /** 1 when the sender was authenticated (migration 0008); 0 for every request before it. */
  authenticated: number;
  auth_evidence: string | null;
  /** The request timers (migration 0009): when the moderators were reminded, the escalation address told, the applicant told it is still open. */
  reminded_at: string | null;
  escalated_at: string | null;
  applicant_told_at: string | null;
}

export interface NewRequest {
  applicant: string;
  applicantName: string;
  organization: string | null;
  alias: string | null;
  subject: string;
  answers: Record<string, string>;
  missing: number[];
  acceptsEmbargo: boolean;
  findings: unknown[];
  inboundId: number;
  messageId: string | null;
  authenticated: boolean;
  /** How authentication was judged, one sentence. */
  authEvidence: string | null;
}

export function insertRequest(db: Db, r: NewRequest, at: string): number {
  const { lastInsertRowid } = cached(
    db,
    `INSERT INTO requests (state, applicant, applicant_name, organization, alias, subject, answers, missing, accepts_embargo, findings, inbound_id, message_id, created_at, updated_at, authenticated, auth_evidence)
     VALUES ('moderation', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    r.applicant,
    r.applicantName,
    r.organization,
    r.alias,
    r.subject,
    JSON.stringify(r.answers),
    JSON.stringify(r.missing),
    r.acceptsEmbargo ? 1 : 0,
    JSON.stringify(r.findings),
    r.inboundId,
    r.messageId,
    at,
    at,
    r.authenticated ? 1 : 0,
    r.authEvidence,
  );
  return Number(lastInsertRowid);
}

export function getRequest(db: Db, id: number): RequestRow | undefined {
  return cached(db, 'SELECT * FROM requests WHERE id = ?').get(id) as RequestRow | undefined;
}

export function listRequests(db: Db, opts: { open?: boolean } = {}): RequestRow[] {
  const where = opts.open ? "WHERE state IN ('moderation', 'asked', 'confirming')" : '';
  return cached(db, `SELECT * FROM requests ${where} ORDER BY id DESC`).all() as RequestRow[];
}

/** Open requests of this applicant (the newest supersedes them). */
export function openRequestsOf(db: Db, applicant: string): RequestRow[] {
  return cached(db, "SELECT * FROM requests WHERE applicant = ? AND state IN ('moderation', 'asked') ORDER BY id").all(
    applicant,
  ) as RequestRow[];
}

/**
 * Requests before the moderators (moderation, asked) whose applicant has the same mailbox as
 * `applicant` by `sameMailbox` (e.g. "jane+x@" and "jane@"), oldest first, `except` left out.
 */
export function pendingOfMailbox(
  db: Db,
  applicant: string,
  sameMailbox: (a: string, b: string) => boolean,
  except?: number,
): RequestRow[] {
  const open = cached(
    db,
    "SELECT * FROM requests WHERE state IN ('moderation', 'asked') ORDER BY id",
  ).all() as RequestRow[];
  return open.filter((r) => r.id !== except && sameMailbox(r.applicant, applicant));
}

export function setState(
  db: Db,
  id: number,
  state: RequestState,
  at: string,
  decision?: { by: string; reason?: string | null },
): void {
  if (decision) {
    cached(
      db,
      'UPDATE requests SET state = ?, updated_at = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ?',
    ).run(state, at, decision.by, at, decision.reason ?? null, id);
  } else {
    cached(db, 'UPDATE requests SET state = ?, updated_at = ? WHERE id = ?').run(state, at, id);
  }
}

export interface RequestEvent {
  id: number;
  request_id: number;
  at: string;
  actor: string;
  kind: string;
  text: string | null;
}

export function addEvent(
  db: Db,
  requestId: number,
  at: string,
  actor: string,
  kind: string,
  text: string | null = null,
): void {
  cached(db, 'INSERT INTO request_events (request_id, at, actor, kind, text) VALUES (?, ?, ?, ?, ?)').run(
    requestId,
    at,
    actor,
    kind,
    text,
  );
}

export function eventsOf(db: Db, requestId: number): RequestEvent[] {
  return cached(db, 'SELECT * FROM request_events WHERE request_id = ? ORDER BY id').all(requestId) as RequestEvent[];
}

/** A timer of a request before the moderators (migration 0009); each fires once. */
export type RequestTimer = 'reminded_at' | 'escalated_at';

/**
 * Requests waiting for a moderator's decision (state moderation: nothing decided, no question
 * out to the applicant) since `before` or earlier, whose timer has not fired, oldest first.
 */
export function waitingSince(db: Db, before: string, timer: RequestTimer): RequestRow[] {
  return cached(
    db,
    `SELECT * FROM requests WHERE state = 'moderation' AND created_at <= ? AND ${timer} IS NULL ORDER BY id`,
  ).all(before) as RequestRow[];
}

export function markTimer(db: Db, id: number, timer: RequestTimer | 'applicant_told_at', at: string): void {
  cached(db, `UPDATE requests SET ${timer} = ? WHERE id = ?`).run(at, id);
}

export interface WaitingStats {
  /** Requests before the moderators with no decision (state moderation). */
  waiting: number;
  /** ...of which waiting longer than policy.requestReminderDays, and than policy.requestEscalationDays. */
  pastReminder: number;
  pastEscalation: number;
  /** When the oldest of them came in, or null. */
  oldestSince: string | null;
}

export function waitingStats(db: Db, reminderBefore: string, escalationBefore: string): WaitingStats {
  const row = cached(
    db,
    `SELECT count(*) AS waiting, coalesce(sum(created_at <= ?), 0) AS pastReminder,
            coalesce(sum(created_at <= ?), 0) AS pastEscalation, min(created_at) AS oldestSince
       FROM requests WHERE state = 'moderation'`,
  ).get(reminderBefore, escalationBefore) as WaitingStats;
  return { ...row };
}

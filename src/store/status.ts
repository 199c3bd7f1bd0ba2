/**
 * What the daemon is doing, in numbers: inbound messages by state, the outbox, open requests,
 * embargoes, open leak retrospectives, members, and when IMAP was last heard from. Plain SELECTs
 * and no text of any message, so it is safe to print, log and expose on a local endpoint. Read by
 * the status command (admin/status) and the monitoring endpoint (runners/http) alike.
 */
import { cached, type Db } from './db';
import { waitingStats } from './requests';

export interface Status {
  /** When it was collected (ISO 8601 UTC). */
  at: string;
  inbound: { received: number; processed: number; quarantined: number };
  outbox: { pending: number; sending: number; sent: number; failed: number; oldestPendingAt: string | null };
  /**
   * open: waiting for a moderator, an applicant or a confirmation. waiting: before the moderators
   * with no decision (state moderation), of which pastReminder / pastEscalation have waited longer
   * than policy.requestReminderDays / requestEscalationDays; oldestWaitingSince: the oldest's arrival.
   */
  requests: {
    open: number;
    waiting: number;
    pastReminder: number;
    pastEscalation: number;
    oldestWaitingSince: string | null;
  };
  disclosures: { embargoed: number; nextEmbargoEnd: string | null };
  leaks: { openRetrospectives: number };
  members: { active: number; unreachable: number };
  held: { waiting: number };
  lastImapContact: string | null;
}

/** Request states that still wait for somebody (see migrations/0002-membership.sql). */
const OPEN_REQUEST_STATES = ['moderation', 'asked', 'confirming'] as const;

export function collectStatus(
  db: Db,
  now: Date,
  extra: { lastImapContact?: string | null; requestTimers?: { reminderDays: number; escalationDays: number } },
): Status {
  // The defaults are config.ts's policy.requestReminderDays and requestEscalationDays.
  const timers = extra.requestTimers ?? { reminderDays: 3, escalationDays: 7 };
  const daysAgo = (days: number): string => new Date(now.getTime() - days * 86_400_000).toISOString();
  const waiting = waitingStats(db, daysAgo(timers.reminderDays), daysAgo(timers.escalationDays));
  const count = (sql: string, ...params: unknown[]): number =>
    Number(
      cached(db, sql)
        .pluck()
        .get(...params) ?? 0,
    );
  const first = (sql: string, ...params: unknown[]): string | null =>
    (cached(db, sql)
      .pluck()
      .get(...params) as string | null | undefined) ?? null;
  const byStatus = (table: 'inbound' | 'outbox'): Map<string, number> => {
    const rows = cached(db, `SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as {
      status: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.status, r.n]));
  };
  const inbound = byStatus('inbound');
  const outbox = byStatus('outbox');
  return {
    at: now.toISOString(),
    inbound: {
      received: inbound.get('received') ?? 0,
      processed: inbound.get('processed') ?? 0,
      quarantined: inbound.get('quarantined') ?? 0,
    },
    outbox: {
      pending: outbox.get('pending') ?? 0,
      sending: outbox.get('sending') ?? 0,
      sent: outbox.get('sent') ?? 0,
      failed: outbox.get('failed') ?? 0,
      oldestPendingAt: first("SELECT min(created_at) FROM outbox WHERE status = 'pending'"),
    },
    requests: {
      open: count(
        `SELECT count(*) FROM requests WHERE state IN (${OPEN_REQUEST_STATES.map(() => '?').join(', ')})`,
        ...OPEN_REQUEST_STATES,
      ),
      waiting: waiting.waiting,
      pastReminder: waiting.pastReminder,
      pastEscalation: waiting.pastEscalation,
      oldestWaitingSince: waiting.oldestSince,
    },
    disclosures: {
      embargoed: count("SELECT count(*) FROM disclosures WHERE state = 'embargoed'"),
      // The earliest end of a running embargo, even one already past (its lift is then overdue).
      nextEmbargoEnd: first(
        "SELECT min(embargo_end) FROM disclosures WHERE state = 'embargoed' AND embargo_end IS NOT NULL",
      ),
    },
    leaks: { openRetrospectives: count('SELECT count(*) FROM leaks WHERE retro_closed_at IS NULL') },
    members: {
      active: count("SELECT count(*) FROM members WHERE status = 'active'"),
      unreachable: count("SELECT count(*) FROM members WHERE status = 'active' AND unreachable_at IS NOT NULL"),
    },
    held: { waiting: count("SELECT count(*) FROM held WHERE state = 'held'") },
    lastImapContact: extra.lastImapContact ?? null,
  };
}

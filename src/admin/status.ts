/**
 * embargo-list status: the daemon's numbers (store/status) as a readable block for the command
 * line, and the health that /healthz and `status` both judge by (assessHealth).
 */
import path from 'node:path';
import type { Context } from '../context';
import { cached, FREE_SPACE_NEEDED, freeBytes, probeWrite, type Db } from '../store/db';
import { dbErrorCode, type DbHealth } from '../store/db-health';
import { collectStatus, type Status } from '../store/status';

export { collectStatus, type Status } from '../store/status';

/** A copy claimed (`sending`) for longer than this is stuck: its sender died or hangs. */
export const STALE_CLAIM_MS = 5 * 60_000;
/** A pending copy older than this: the relay has refused or been away for an hour. */
export const STUCK_PENDING_MS = 3_600_000;
/**
 * Under this much free space on the data directory's file system the disk is too low: the
 * write-ahead log alone grows to 4 MiB between checkpoints (store/db FREE_SPACE_NEEDED).
 */
export const DISK_LOW_BYTES = FREE_SPACE_NEEDED;

/** One reason to be unhealthy: a stable code and a line for a person. */
export interface HealthProblem {
  code: 'DB_TROUBLE' | 'DISK_LOW' | 'OUTBOX_CLAIMS_STALE' | 'OUTBOX_STUCK' | 'SOURCE_SILENT';
  detail: string;
}

export interface Health {
  healthy: boolean;
  problems: HealthProblem[];
  /** Bytes free for this user on the data directory's file system (null: unknown). */
  freeBytes: number | null;
  /** Copies claimed for longer than STALE_CLAIM_MS. */
  staleClaims: number;
}

/** Copies in `sending` claimed before now - STALE_CLAIM_MS, and the oldest claim (a read, nothing changed). */
export function staleClaims(db: Db, now: Date): { count: number; oldest: string | null } {
  const before = new Date(now.getTime() - STALE_CLAIM_MS).toISOString();
  const row = cached(
    db,
    "SELECT count(*) AS count, min(claimed_at) AS oldest FROM outbox WHERE status = 'sending' AND claimed_at < ?",
  ).get(before) as { count: number; oldest: string | null };
  return { count: row.count, oldest: row.oldest };
}

/**
 * A fresh write, for a process that is not the daemon (`status`): DbHealth as the daemon's own
 * writes would have found it. A write that changes nothing (store/db probeWrite).
 */
export function probeDbHealth(db: Db, now: Date): DbHealth {
  try {
    probeWrite(db);
    return { ok: true, since: null, code: null, detail: null };
  } catch (err) {
    return {
      ok: false,
      since: now.toISOString(),
      code: dbErrorCode(err),
      detail: `a test write failed: ${(err as Error).message}`,
    };
  }
}

/**
 * Healthy when none of these: the last database write failed (db: the daemon's store/db-health,
 * or probeDbHealth); the data directory's file system has under DISK_LOW_BYTES free; a copy has
 * been claimed for over STALE_CLAIM_MS; a copy has been pending for over STUCK_PENDING_MS; the
 * mail source (the daemon only) was not heard from within source.freshMs.
 */
export function assessHealth(input: {
  db: Db;
  status: Status;
  now: Date;
  dataDir: string;
  dbHealth: DbHealth;
  source?: { lastContact: Date | null; freshMs: number };
}): Health {
  const { db, status, now, dataDir, dbHealth, source } = input;
  const problems: HealthProblem[] = [];
  if (!dbHealth.ok)
    problems.push({
      code: 'DB_TROUBLE',
      detail: `database writes fail since ${dbHealth.since}: ${dbHealth.code} ${dbHealth.detail ?? ''}`.trim(),
    });
  const free = freeBytes(dataDir);
  if (free !== null && free < DISK_LOW_BYTES)
    problems.push({
      code: 'DISK_LOW',
      detail: `${free} bytes free on the file system of ${dataDir}, under the ${DISK_LOW_BYTES / 1048576} MiB the daemon needs`,
    });
  const claims = staleClaims(db, now);
  if (claims.count > 0)
    problems.push({
      code: 'OUTBOX_CLAIMS_STALE',
      detail: `${claims.count} cop${claims.count === 1 ? 'y' : 'ies'} claimed for sending for over ${STALE_CLAIM_MS / 60_000} min, the oldest since ${claims.oldest}`,
    });
  if (
    status.outbox.oldestPendingAt !== null &&
    now.getTime() - Date.parse(status.outbox.oldestPendingAt) > STUCK_PENDING_MS
  )
    problems.push({
      code: 'OUTBOX_STUCK',
      detail: `a copy has been pending since ${status.outbox.oldestPendingAt} (over ${STUCK_PENDING_MS / 60_000} min)`,
    });
  if (source && (source.lastContact === null || now.getTime() - source.lastContact.getTime() >= source.freshMs))
    problems.push({
      code: 'SOURCE_SILENT',
      detail:
        source.lastContact === null
          ? 'the mail source has not been reached yet'
          : `the mail source was last heard from at ${source.lastContact.toISOString()} (over ${Math.round(source.freshMs / 1000)} s ago)`,
    });
  return { healthy: problems.length === 0, problems, freeBytes: free, staleClaims: claims.count };
}

/** The health block under formatStatus: "health ok", or "health UNHEALTHY" and one line per problem. */
export function formatHealth(h: Health): string {
  if (h.healthy) return `  health       ok\n`;
  return `${[`  health       UNHEALTHY`, ...h.problems.map((p) => `               ${p.code} ${p.detail}`)].join('\n')}\n`;
}

/** A readable block for the command line. */
export function formatStatus(s: Status): string {
  const ago = (iso: string | null): string => (iso === null ? '' : ` (${relative(iso, s.at)})`);
  const lines = [
    `embargo-list status at ${s.at}`,
    `  inbound      ${s.inbound.received} received, ${s.inbound.processed} processed, ${s.inbound.quarantined} quarantined`,
    `  outbox       ${s.outbox.pending} pending, ${s.outbox.sending} sending, ${s.outbox.sent} sent, ${s.outbox.failed} failed`,
    ...(s.outbox.oldestPendingAt === null
      ? []
      : [`               oldest pending since ${s.outbox.oldestPendingAt}${ago(s.outbox.oldestPendingAt)}`]),
    `  requests     ${s.requests.open} open`,
    ...(s.requests.waiting === 0
      ? []
      : [
          `               ${s.requests.waiting} waiting for a decision, oldest since ${s.requests.oldestWaitingSince}${ago(s.requests.oldestWaitingSince)}; ${s.requests.pastReminder} past the reminder, ${s.requests.pastEscalation} past the escalation`,
        ]),
    `  disclosures  ${s.disclosures.embargoed} under embargo${s.disclosures.nextEmbargoEnd === null ? '' : `, next end ${s.disclosures.nextEmbargoEnd}${embargoEnd(s.disclosures.nextEmbargoEnd, s.at)}`}`,
    `  leaks        ${s.leaks.openRetrospectives} open retrospective${s.leaks.openRetrospectives === 1 ? '' : 's'}`,
    `  held         ${s.held.waiting} waiting for a moderator`,
    `  members      ${s.members.active} active${s.members.unreachable ? `, ${s.members.unreachable} unreachable (bouncing)` : ''}`,
    `  imap         ${s.lastImapContact === null ? 'no contact recorded' : `last contact ${s.lastImapContact}${ago(s.lastImapContact)}`}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** An embargo end already past has a lift that is overdue: the embargo clock has not run. */
function embargoEnd(iso: string, nowIso: string): string {
  return Date.parse(iso) <= Date.parse(nowIso)
    ? ` (passed ${relative(iso, nowIso)}: lift overdue)`
    : ` (${relative(iso, nowIso)})`;
}

/** "3 min ago" or "in 2 h": whole units, rounded down. */
function relative(iso: string, nowIso: string): string {
  const ms = Date.parse(nowIso) - Date.parse(iso);
  if (Number.isNaN(ms)) return 'unknown';
  const abs = Math.abs(ms);
  const unit =
    abs < 60_000
      ? `${Math.floor(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.floor(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.floor(abs / 3_600_000)} h`
          : `${Math.floor(abs / 86_400_000)} d`;
  return ms >= 0 ? `${unit} ago` : `in ${unit}`;
}

/**
 * The status command: the numbers and the health, as text or JSON (with a `health` member). The
 * health of a process beside the daemon: a test write now (probeDbHealth), the free space, the
 * stale claims and the pending copies; not the mail source, which only the daemon talks to.
 */
export function statusReport(ctx: Context, opts: { json?: boolean } = {}): { output: string; health: Health } {
  const now = ctx.clock();
  const lastImap = cached(ctx.db, 'SELECT max(updated_at) FROM imap_checkpoint').pluck().get() as string | null;
  const status = collectStatus(ctx.db, now, {
    lastImapContact: lastImap,
    requestTimers: {
      reminderDays: ctx.config.policy.requestReminderDays,
      escalationDays: ctx.config.policy.requestEscalationDays,
    },
  });
  const health = assessHealth({
    db: ctx.db,
    status,
    now,
    dataDir: path.resolve(ctx.config.dataDir),
    dbHealth: probeDbHealth(ctx.db, now),
  });
  return {
    output: opts.json
      ? `${JSON.stringify({ ...status, health }, null, 2)}\n`
      : `${formatStatus(status)}${formatHealth(health)}\n`,
    health,
  };
}

/**
 * Whether the database can be written, as the code that writes it last found out. Module-level
 * state (one database per process): a write that fails with a database error calls dbTrouble(),
 * one that succeeds calls dbOk(). /healthz and `status` read dbHealth(), so a daemon whose writes
 * fail says so instead of answering 200.
 *
 * Logged under its own word, to grep: `DB_TROUBLE code=SQLITE_FULL where=...` once when the
 * trouble starts (or its code changes), then a reminder at most every REMIND_MS while it lasts,
 * and `DB_OK` once when a write succeeds again. Repeated failures in between are counted, not
 * logged, so a full disk does not fill the log as well.
 */
import type { Logger } from 'pino';

/** While the trouble lasts, a reminder line at most this often. */
export const REMIND_MS = 60_000;

export interface DbHealth {
  ok: boolean;
  /** When the current trouble started (ISO), null when ok. */
  since: string | null;
  /** The SQLite code of the last failure (SQLITE_FULL, SQLITE_READONLY, ...), null when ok. */
  code: string | null;
  /** The last failure's message and where it happened, null when ok. */
  detail: string | null;
}

type HealthLog = Pick<Logger, 'warn' | 'info'>;

interface Trouble {
  since: Date;
  code: string;
  message: string;
  where: string;
  /** Failures since the trouble started. */
  failures: number;
  /** Failures since the last line logged. */
  unlogged: number;
  loggedAt: number;
}

let trouble: Trouble | null = null;
let log: HealthLog | null = null;
let clock: () => number = () => Date.now();

/** The logger DB_TROUBLE and DB_OK go to (the daemon's); without one, a line on standard error. */
export function setDbHealthLog(logger: HealthLog | null): void {
  log = logger ? ((logger as Logger).child?.({ stage: 'db' }) ?? logger) : null;
}

/** The code of a database error: SQLITE_FULL, SQLITE_IOERR_WRITE, ...; or 'ERROR' for anything else. */
export function dbErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'ERROR';
}

/** Is err an error from SQLite (better-sqlite3's SqliteError, code SQLITE_...)? */
export function isDbError(err: unknown): boolean {
  return /^SQLITE_/.test(dbErrorCode(err));
}

/** Is err one that says the disk (or the database's room) is full? */
export function isDiskFull(err: unknown): boolean {
  return (
    /^SQLITE_FULL/.test(dbErrorCode(err)) || /database or disk is full|ENOSPC/i.test(String((err as Error)?.message))
  );
}

function warn(fields: Record<string, unknown>, line: string): void {
  if (log) log.warn(fields, line);
  else process.stderr.write(`${line}\n`);
}

function info(fields: Record<string, unknown>, line: string): void {
  if (log) log.info(fields, line);
  else process.stderr.write(`${line}\n`);
}

/** A database write failed (SQLITE_FULL/IOERR/READONLY/BUSY...): health turns red, DB_TROUBLE is logged. */
export function dbTrouble(err: unknown, where: string): void {
  const code = dbErrorCode(err);
  const message = String((err as Error)?.message ?? err);
  const now = clock();
  const changed = !trouble || trouble.code !== code;
  if (!trouble) {
    trouble = { since: new Date(now), code, message, where, failures: 0, unlogged: 0, loggedAt: 0 };
  }
  trouble.failures += 1;
  trouble.unlogged += 1;
  trouble.code = code;
  trouble.message = message;
  trouble.where = where;
  if (!changed && now - trouble.loggedAt < REMIND_MS) return;
  const still = !changed;
  warn(
    {
      code,
      where,
      err: { message, code },
      since: trouble.since.toISOString(),
      failures: trouble.failures,
      failuresSinceLastLine: trouble.unlogged,
    },
    `DB_TROUBLE code=${code} where=${where} ${still ? `still failing since ${trouble.since.toISOString()} (${trouble.failures} failures)` : message}`,
  );
  trouble.loggedAt = now;
  trouble.unlogged = 0;
}

/** A database write succeeded: health turns green again (DB_OK is logged if it was red). */
export function dbOk(): void {
  if (!trouble) return;
  const was = trouble;
  trouble = null;
  const seconds = Math.round((clock() - was.since.getTime()) / 1000);
  info(
    { code: was.code, since: was.since.toISOString(), seconds, failures: was.failures },
    `DB_OK writes succeed again after ${seconds} s of ${was.code} (${was.failures} failure${was.failures === 1 ? '' : 's'}, last at ${was.where})`,
  );
}

/** What the last database writes found: ok, or since when and why not. */
export function dbHealth(): DbHealth {
  if (!trouble) return { ok: true, since: null, code: null, detail: null };
  return {
    ok: false,
    since: trouble.since.toISOString(),
    code: trouble.code,
    detail: `${trouble.message} (at ${trouble.where}, ${trouble.failures} failure${trouble.failures === 1 ? '' : 's'})`,
  };
}

/** Tests: forget any trouble, and use this clock (milliseconds) instead of Date.now. */
export function resetDbHealthForTests(now?: () => number): void {
  trouble = null;
  clock = now ?? (() => Date.now());
}

/**
 * The write-ahead log, kept bounded: every 10 minutes wal_checkpoint(TRUNCATE) copies what the log
 * holds into the database and cuts the log to zero bytes (the daemon does it at start too, in
 * store/db checkWritable). SQLite's own automatic checkpoint runs every 1000 pages but never
 * shrinks the file; PRAGMA journal_size_limit (store/db) cuts it back after those. A checkpoint
 * that fails (a full disk: the database cannot grow) is database trouble, and is tried again at
 * the next tick; one that a reader in another process kept from finishing says busy=1.
 */
import fs from 'node:fs';
import type { Context } from '../context';
import { checkpointWal } from '../store/db';

/** Every 10 minutes: fixed, not a configuration key (it changes nothing a person sees). */
export const CHECKPOINT_SCHEDULE = '*/10 * * * *';

export function runCheckpoint(ctx: Context): { walBytesBefore: number; walBytesAfter: number; busy: number } {
  const wal = `${ctx.db.name}-wal`;
  const size = (): number => {
    try {
      return fs.statSync(wal).size;
    } catch {
      return 0;
    }
  };
  const before = size();
  // A failure (SQLITE_FULL: the database file cannot grow) is thrown to the scheduler, which
  // reports it as database trouble.
  const result = checkpointWal(ctx.db);
  return { walBytesBefore: before, walBytesAfter: size(), busy: result.busy ? 1 : 0 };
}

import type { Config } from '../config';
import type { Context } from '../context';
import { runEmbargoClock } from './embargo';
import { runExpiry } from './expiry';
import { runReceipts } from './receipts';
import { runRetrospectives } from './retrospectives';
import { runProbes } from './probes';
import { runKeyExpiry } from './key-expiry';
import { CHECKPOINT_SCHEDULE, runCheckpoint } from './checkpoint';

export interface Job {
  name: string;
  /** node-cron expression, from configuration. */
  schedule: (config: Config) => string;
  run: (ctx: Context) => Record<string, number>;
}

/** Every clock of the daemon. Each job reads what is due from the database and marks it done. */
export const JOBS: readonly Job[] = [
  { name: 'expiry', schedule: (c) => c.schedule.expiry, run: (ctx) => ({ ...runExpiry(ctx) }) },
  { name: 'embargo', schedule: (c) => c.schedule.embargo, run: (ctx) => ({ ...runEmbargoClock(ctx) }) },
  { name: 'receipts', schedule: (c) => c.schedule.receipts, run: (ctx) => ({ ...runReceipts(ctx) }) },
  { name: 'retrospectives', schedule: (c) => c.schedule.retrospectives, run: (ctx) => ({ ...runRetrospectives(ctx) }) },
  { name: 'probes', schedule: (c) => c.schedule.probes, run: (ctx) => ({ ...runProbes(ctx) }) },
  /** On the hourly clock of the retrospectives (no key of its own): warnings and lapses within the hour. */
  { name: 'key-expiry', schedule: (c) => c.schedule.retrospectives, run: (ctx) => ({ ...runKeyExpiry(ctx) }) },
  /** The write-ahead log emptied and cut to zero bytes (store/db JOURNAL_SIZE_LIMIT bounds it between runs). */
  { name: 'checkpoint', schedule: () => CHECKPOINT_SCHEDULE, run: (ctx) => ({ ...runCheckpoint(ctx) }) },
];

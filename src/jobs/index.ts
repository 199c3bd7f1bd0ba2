import type { Config } from '../config';
import type { Context } from '../context';
import { runExpiry } from './expiry';

export interface Job {
  name: string;
  /** node-cron expression, from configuration. */
  schedule: (config: Config) => string;
  run: (ctx: Context) => Record<string, number>;
}

/** Every clock of the daemon. Each job reads what is due from the database. */
export const JOBS: readonly Job[] = [
  { name: 'expiry', schedule: (c) => c.schedule.expiry, run: (ctx) => ({ ...runExpiry(ctx) }) },
];

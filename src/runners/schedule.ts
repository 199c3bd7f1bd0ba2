/**
 * schedule: drives the job table with node-cron. A job that throws is logged and runs again next
 * time; one that failed on the database (full, read-only, I/O) is database trouble (store/db-health:
 * DB_TROUBLE, health red), not a fault of the job.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Context } from '../context';
import { JOBS, type Job } from '../jobs';
import { dbOk, dbTrouble, isDbError } from '../store/db-health';

export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private readonly log;

  constructor(
    private readonly ctx: Context,
    private readonly jobs: readonly Job[] = JOBS,
  ) {
    this.log = ctx.log.child({ stage: 'schedule' });
  }

  start(): void {
    for (const job of this.jobs) {
      const expression = job.schedule(this.ctx.config);
      this.tasks.push(cron.schedule(expression, () => this.runJob(job), { name: job.name, noOverlap: true }));
      this.log.info({ job: job.name, schedule: expression }, `SCHEDULED ${job.name} "${expression}"`);
    }
  }

  runJob(job: Job): void {
    try {
      const result = job.run(this.ctx);
      const worked = Object.values(result).some((n) => n > 0);
      // It did something, so its writes committed.
      if (worked) dbOk();
      this.log[worked ? 'info' : 'debug'](
        { job: job.name, ...result },
        `JOB ${job.name} ${Object.entries(result)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    } catch (err) {
      if (isDbError(err)) {
        // Logged as DB_TROUBLE (once, then a reminder while it lasts), not once a minute per job.
        dbTrouble(err, `job:${job.name}`);
        this.log.debug({ job: job.name, err }, `JOB_FAILED ${job.name} ${(err as Error).message}`);
        return;
      }
      this.log.error({ job: job.name, err }, `JOB_FAILED ${job.name} ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks = [];
  }
}

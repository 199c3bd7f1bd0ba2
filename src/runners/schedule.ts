/** schedule: drives the job table with node-cron. A job that throws is logged and runs again next time. */
import cron, { type ScheduledTask } from 'node-cron';
import type { Context } from '../context';
import { JOBS, type Job } from '../jobs';

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
      this.log[worked ? 'info' : 'debug'](
        { job: job.name, ...result },
        `JOB ${job.name} ${Object.entries(result)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    } catch (err) {
      this.log.error({ job: job.name, err }, `JOB_FAILED ${job.name} ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks = [];
  }
}

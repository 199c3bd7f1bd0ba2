/**
 * The embargo clock: members are reminded liftReminderHours before an embargo ends, and at the
 * end the list is told and the thread marked public. What is due is read from the database and
 * marked done in the same transaction, so a restart loses nothing and nothing fires twice.
 */
import { liftAndAnnounce } from '../actions/lift';
import { noticeToThread } from '../actions/thread-notice';
import { nowIso, type Context } from '../context';
import { formatUtc } from '../policy/embargo-date';
import { transaction } from '../store/db';
import { embargoesEndingBy, markLiftReminded } from '../store/disclosures';

export interface EmbargoClockResult {
  reminded: number;
  lifted: number;
}

export function runEmbargoClock(ctx: Context): EmbargoClockResult {
  return transaction(ctx.db, () => {
    const now = ctx.clock();
    const result: EmbargoClockResult = { reminded: 0, lifted: 0 };
    let copies = 0;
    const soon = new Date(now.getTime() + ctx.config.policy.liftReminderHours * 3_600_000).toISOString();
    for (const d of embargoesEndingBy(ctx.db, soon)) {
      if (d.embargo_end! <= now.toISOString()) {
        const n = liftAndAnnounce(ctx, null, d, 'clock');
        if (n >= 0) {
          copies += n;
          result.lifted += 1;
        }
      } else if (!d.lift_reminder_at) {
        markLiftReminded(ctx.db, d.id, nowIso(ctx));
        copies += noticeToThread(ctx, null, d, 'member.notice.embargo-ending', {
          end: formatUtc(new Date(d.embargo_end!)),
        });
        result.reminded += 1;
      }
    }
    if (copies > 0) queueMicrotask(ctx.outboxChanged);
    return result;
  });
}

/** Retrospectives past their due date: the moderators and the reporter are reminded, daily, until RETRO; each reminder names the reporter and the leaker apart. */
import { leakPeople } from '../actions/leak-view';
import { sendTemplate } from '../actions/send';
import { nowIso, type Context } from '../context';
import { formatUtc } from '../policy/embargo-date';
import { transaction } from '../store/db';
import { markRetroReminded, retrospectivesDue } from '../store/leaks';

const DAY = 86_400_000;

export function runRetrospectives(ctx: Context): { reminded: number } {
  return transaction(ctx.db, () => {
    const now = ctx.clock();
    let reminded = 0;
    let copies = 0;
    for (const leak of retrospectivesDue(ctx.db, now.toISOString(), new Date(now.getTime() - DAY).toISOString())) {
      markRetroReminded(ctx.db, leak.id, nowIso(ctx));
      copies += sendTemplate(ctx, null, {
        template: 'moderator.notice.retrospective-due',
        to: [...new Set([...ctx.config.list.moderators, leak.reporter])],
        params: {
          ...leakPeople(leak),
          due: formatUtc(new Date(leak.retro_due)),
          what: leak.what ?? '(not said)',
          toWhom: leak.to_whom ?? '(not said)',
        },
      });
      reminded += 1;
    }
    if (copies > 0) queueMicrotask(ctx.outboxChanged);
    return { reminded };
  });
}

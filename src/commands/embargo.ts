/**
 * Moderators' keywords on a disclosure thread, in reply to the "disclosure opened" mail:
 * EMBARGO <new end> moves the end (the same maximum applies; the members are told), LIFT ends
 * the embargo now. The thread's token is not used up: it serves every change until the lift.
 */
import { nowIso } from '../context';
import { liftAndAnnounce } from '../actions/lift';
import { sendTemplate } from '../actions/send';
import { noticeToThread } from '../actions/thread-notice';
import { formatUtc, parseEmbargoDate } from '../policy/embargo-date';
import { appendAudit } from '../store/audit';
import { getDisclosure, setEmbargoEnd } from '../store/disclosures';
import { notDone } from './not-done';
import type { Command } from './types';

export const moveEmbargo: Command = (ctx, input) => {
  const d = getDisclosure(ctx.db, Number(input.token.subject))!;
  if (d.state === 'public')
    return notDone(ctx, input, `disclosure #${d.id} is already public (lifted at ${d.lifted_at})`, {
      code: 'ALREADY_PUBLIC',
    });
  const parsed = parseEmbargoDate(input.argument ?? '', {
    now: ctx.clock(),
    maxDays: ctx.config.policy.maxEmbargoDays,
  });
  if (!parsed.ok) return notDone(ctx, input, parsed.problem.message.replace(/\.$/, ''), { code: parsed.problem.code });
  const previous = d.embargo_end ? formatUtc(new Date(d.embargo_end)) : null;
  setEmbargoEnd(ctx.db, d.id, parsed.end.toISOString());
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: input.actor,
    action: 'disclosure.embargo',
    object: `disclosure:${d.id}`,
    messageId: input.msg?.messageId ?? null,
    detail: { from: d.embargo_end, to: parsed.end.toISOString() },
  });
  const moved = getDisclosure(ctx.db, d.id)!;
  const end = formatUtc(parsed.end);
  let copies = noticeToThread(ctx, input.inboundId, moved, 'member.notice.embargo-moved', { end, previous });
  copies += sendTemplate(ctx, input.inboundId, {
    template: 'moderator.notice.disclosure-changed',
    to: ctx.config.list.moderators,
    params: { id: d.id, subject: d.subject, actor: input.actor, movedTo: end, lifted: false },
  });
  return { disposition: 'EMBARGO_MOVED', copies };
};

export const lift: Command = (ctx, input) => {
  const d = getDisclosure(ctx.db, Number(input.token.subject))!;
  const copies = liftAndAnnounce(ctx, input.inboundId, d, input.actor);
  if (copies < 0)
    return notDone(ctx, input, `disclosure #${d.id} is already public (lifted at ${d.lifted_at})`, {
      code: 'ALREADY_PUBLIC',
    });
  return {
    disposition: 'LIFTED',
    copies:
      copies +
      sendTemplate(ctx, input.inboundId, {
        template: 'moderator.notice.disclosure-changed',
        to: ctx.config.list.moderators,
        params: { id: d.id, subject: d.subject, actor: input.actor, movedTo: null, lifted: true },
      }),
  };
};

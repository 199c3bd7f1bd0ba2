/** RETRO <summary> in reply to a leak's urgent mail: the retrospective is closed and kept. */
import { nowIso } from '../context';
import { leakPeople } from '../actions/leak-view';
import { sendTemplate } from '../actions/send';
import { appendAudit } from '../store/audit';
import { closeRetrospective, getLeak } from '../store/leaks';
import { useToken } from '../store/tokens';
import { notDone } from './not-done';
import type { Command } from './types';

export const retro: Command = (ctx, input) => {
  const leak = getLeak(ctx.db, Number(input.token.subject))!;
  if (!input.argument) {
    return notDone(
      ctx,
      input,
      'RETRO needs the summary on the same line, e.g. "RETRO The alias forwarded to a vendor; forwarding is now off"',
      { code: 'ARGUMENT_MISSING' },
    );
  }
  const at = nowIso(ctx);
  useToken(ctx.db, input.token.token, input.actor, at);
  if (!closeRetrospective(ctx.db, leak.id, input.actor, input.argument, at)) {
    return notDone(
      ctx,
      input,
      `the retrospective of leak #${leak.id} was already closed at ${leak.retro_closed_at} by ${leak.retro_closed_by}`,
      { disposition: 'STALE', code: 'ALREADY_DECIDED' },
    );
  }
  appendAudit(ctx.db, {
    at,
    actor: input.actor,
    action: 'leak.retro',
    object: `leak:${leak.id}`,
    messageId: input.msg?.messageId ?? null,
    detail: { summary: input.argument },
  });
  const params = { ...leakPeople(leak), actor: input.actor, summary: input.argument };
  const copies = sendTemplate(ctx, input.inboundId, {
    template: 'moderator.notice.retrospective-closed',
    to: [...new Set([...ctx.config.list.moderators, leak.reporter])],
    params,
  });
  return { disposition: 'RETRO_CLOSED', copies };
};

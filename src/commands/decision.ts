/** What every decision on a request shares: the token retired, the state saved, all told. */
import { nowIso, type Context } from '../context';
import { appendAudit } from '../store/audit';
import { addEvent, setState, type RequestRow, type RequestState } from '../store/requests';
import { retireTokens } from '../store/tokens';
import { sendTemplate } from '../actions/send';
import type { CommandInput } from './types';

/** Closes the moderation of a request: the first decision wins, later replies find the token used. */
export function decide(
  ctx: Context,
  input: CommandInput,
  state: RequestState,
  verb: string,
  reason: string | null,
): number {
  const at = nowIso(ctx);
  const request = input.request!;
  retireTokens(ctx.db, request.id, 'moderate', input.actor, at);
  retireTokens(ctx.db, request.id, 'applicant', input.actor, at);
  setState(ctx.db, request.id, state, at, { by: input.actor, reason });
  addEvent(ctx.db, request.id, at, input.actor, verb, reason);
  appendAudit(ctx.db, {
    at,
    actor: input.actor,
    action: `request.${verb}`,
    object: `request:${request.id}`,
    messageId: input.msg?.messageId ?? null,
    detail: reason ? { reason } : null,
  });
  return tellModerators(ctx, input.inboundId, request, verb, input.actor, reason);
}

export function tellModerators(
  ctx: Context,
  inboundId: number | null,
  request: RequestRow,
  verb: string,
  actor: string,
  text: string | null,
): number {
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.request-decided',
    to: ctx.config.list.moderators,
    params: {
      id: request.id,
      organization: request.organization ?? '(unknown)',
      alias: request.alias ?? '(none)',
      verb,
      actor,
      text,
      at: nowIso(ctx),
    },
  });
}

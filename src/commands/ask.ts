/**
 * ASK <question>: the question goes to the applicant with a token of its own; the applicant's
 * reply returns into the same request and is shown to the moderators. Not a decision: the
 * moderators' token stays valid.
 */
import { nowIso } from '../context';
import { tokenMessageId } from '../mail/compose';
import { appendAudit } from '../store/audit';
import { addEvent, setState } from '../store/requests';
import { createToken } from '../store/tokens';
import { sendTemplate } from '../actions/send';
import { tellModerators } from './decision';
import { notDone } from './not-done';
import type { Command } from './types';

export const ask: Command = (ctx, input) => {
  const request = input.request!;
  const { config } = ctx;
  if (!input.argument) {
    return notDone(
      ctx,
      input,
      'ASK needs the question on the same line, e.g. "ASK Which of your products ship Istio?"',
      { id: request.id, code: 'ARGUMENT_MISSING' },
    );
  }
  const at = nowIso(ctx);
  setState(ctx.db, request.id, 'asked', at);
  addEvent(ctx.db, request.id, at, input.actor, 'ask', input.argument);
  appendAudit(ctx.db, {
    at,
    actor: input.actor,
    action: 'request.ask',
    object: `request:${request.id}`,
    messageId: input.msg?.messageId ?? null,
    detail: { question: input.argument },
  });
  const token = createToken(ctx.db, {
    purpose: 'applicant',
    requestId: request.id,
    at: ctx.clock(),
    days: config.policy.tokenDays,
  });
  let copies = sendTemplate(ctx, input.inboundId, {
    template: 'applicant.action.question',
    to: [request.applicant],
    messageId: tokenMessageId(config, token, `q${request.id}`),
    inReplyTo: request.message_id,
    params: { id: request.id, token, question: input.argument },
  });
  copies += tellModerators(ctx, input.inboundId, request, 'ask', input.actor, input.argument);
  return { disposition: 'ASKED', copies };
};

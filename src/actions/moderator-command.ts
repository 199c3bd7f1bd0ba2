/**
 * A moderator's keyword: acted on only when the sender is a configured moderator, the reply
 * carries a live token of the mail it answers, and the sender is authenticated. Anything else is
 * refused and audited, and the moderators are told. Never fails open.
 */
import { nowIso, type Context } from '../context';
import { checkCommand, type CommandAuth } from '../policy/command-auth';
import { appendAudit } from '../store/audit';
import { getRequest } from '../store/requests';
import { sendModeration } from './join-request';
import { refuseCommand } from './refuse';
import { sendTemplate, answerTo } from './send';
import { MODERATOR_PURPOSES, type TokenPurpose } from '../store/tokens';
import type { MailParams, RefusalReason } from '../mail/mailer';
import type { ActInput, ActResult, DecisionOf, Keywords } from './types';

/** What a token names, for templates/moderator.partial.token-object.txt: its purpose and subject. */
function tokenObject(
  purpose: TokenPurpose,
  subject: string | null,
  requestId: number | undefined,
): MailParams<'moderator.notice.already-decided'>['object'] {
  return requestId !== undefined
    ? { request: requestId, subject: String(subject) }
    : { [purpose]: true, subject: String(subject) };
}

export function failedConditions(
  auth: Pick<CommandAuth, 'moderator' | 'authenticated' | 'token' | 'decidedBy'>,
  needToken = true,
): RefusalReason[] {
  const why: RefusalReason[] = [];
  if (!auth.moderator) why.push({ notModerator: true });
  if (!auth.authenticated) why.push({ notAuthenticated: true, detail: auth.decidedBy });
  if (needToken && !['valid', 'used', 'expired'].includes(auth.token.state))
    why.push({ plain: true, detail: auth.token.detail });
  return why;
}

/** The keywords (commands/) come from whoever puts the actions together (actions/index, actionsWith). */
export const moderatorCommand = (
  ctx: Context,
  { inboundId, msg, decision, snap }: ActInput<DecisionOf<'moderator-command'>>,
  { commands, startRemove }: Keywords,
): ActResult => {
  const actor = msg.from.address;
  const keyword = snap.keyword;

  if (decision.command === 'remove') {
    const auth = checkCommand(msg, snap, ['remove']);
    const why = failedConditions(auth, false);
    if (why.length > 0) return { disposition: 'REFUSED', copies: refuseCommand(ctx, inboundId, msg, 'remove', why) };
    return startRemove(ctx, { inboundId, msg, actor, argument: keyword?.argument ?? null });
  }

  const auth = checkCommand(msg, snap, [...MODERATOR_PURPOSES]);
  const why = failedConditions(auth);
  const token = auth.token.row;
  // Every state without a token is in `why` already; `!token` only says so to the compiler.
  if (why.length > 0 || !token)
    return { disposition: 'REFUSED', copies: refuseCommand(ctx, inboundId, msg, 'conditions', why) };

  const request = token.request_id !== null ? getRequest(ctx.db, token.request_id) : undefined;
  const reply = answerTo(msg, actor);
  const at = nowIso(ctx);

  if (auth.token.state === 'used' || (request && !['moderation', 'asked'].includes(request.state))) {
    appendAudit(ctx.db, {
      at,
      actor,
      action: 'command.stale',
      object: request ? `request:${request.id}` : token.subject,
      messageId: msg.messageId,
      detail: { keyword: keyword?.keyword ?? null },
    });
    return {
      disposition: 'STALE',
      copies: sendTemplate(ctx, inboundId, {
        ...reply,
        template: 'moderator.notice.already-decided',
        params: {
          object: tokenObject(token.purpose, token.subject, request?.id),
          state: request?.state ?? 'done',
          by: request?.decided_by ?? token.used_by,
          when: request?.decided_at ?? token.used_at,
          reason: request?.reason ?? null,
        },
      }),
    };
  }
  if (auth.token.state === 'expired') {
    appendAudit(ctx.db, {
      at,
      actor,
      action: 'command.expired-token',
      object: request ? `request:${request.id}` : token.subject,
      messageId: msg.messageId,
    });
    let copies = sendTemplate(ctx, inboundId, {
      ...reply,
      template: 'moderator.notice.token-expired',
      params: { id: request?.id ?? null, expiredAt: token.expires_at, resent: Boolean(request) },
    });
    if (request) copies += sendModeration(ctx, inboundId, request.id, { expiredTokenFrom: actor });
    return { disposition: 'EXPIRED', copies };
  }

  const command = keyword ? commands.get(token.purpose)?.get(keyword.keyword) : undefined;
  if (!keyword || !command) {
    const allowed = [...(commands.get(token.purpose)?.keys() ?? [])];
    appendAudit(ctx.db, {
      at,
      actor,
      action: 'command.no-keyword',
      object: request ? `request:${request.id}` : token.subject,
      messageId: msg.messageId,
    });
    return {
      disposition: 'NO_KEYWORD',
      copies: sendTemplate(ctx, inboundId, {
        ...reply,
        template: 'moderator.notice.no-keyword',
        params: { allowed: allowed.join(', '), read: keyword?.keyword ?? null },
      }),
    };
  }
  return command(ctx, { inboundId, msg, actor, argument: keyword.argument, token, request });
};

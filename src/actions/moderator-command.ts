/**
 * A moderator's keyword: acted on only when the sender is a configured moderator, the reply
 * carries a live token of the mail it answers, and the sender is authenticated. Anything else is
 * refused and audited, and the moderators are told. Never fails open.
 */
import { COMMANDS } from '../commands';
import { startRemove } from '../commands/remove';
import { nowIso } from '../context';
import { checkCommand, type CommandAuth } from '../policy/command-auth';
import { appendAudit } from '../store/audit';
import { getRequest } from '../store/requests';
import { sendModeration } from './join-request';
import { refuseCommand } from './refuse';
import { sendTemplate } from './send';
import { MODERATOR_PURPOSES, type TokenPurpose } from '../store/tokens';
import type { Action } from './types';

/** How a token's object is named to a moderator. */
const TOKEN_OBJECT: Record<TokenPurpose, (subject: string | null) => string> = {
  remove: (s) => `the removal of ${s}`, held: (s) => `held message ${s}`, probe: (s) => `the probe of ${s}`, thread: (s) => `disclosure #${s}`, send: () => 'the returned post', leak: (s) => `the retrospective of leak #${s}`,
  moderate: (s) => `request ${s}`, applicant: (s) => `request ${s}`, confirm: (s) => `request ${s}`, unsubscribe: (s) => `the unsubscription of ${s}`,
};

export function failedConditions(auth: Pick<CommandAuth, 'moderator' | 'authenticated' | 'token' | 'decidedBy'>, needToken = true): string[] {
  const why: string[] = [];
  if (!auth.moderator) why.push('the sender is not a configured moderator');
  if (!auth.authenticated) why.push(`the sender is not authenticated: ${auth.decidedBy}`);
  if (needToken && !['valid', 'used', 'expired'].includes(auth.token.state)) why.push(auth.token.detail);
  return why;
}

export const moderatorCommand: Action = (ctx, { inboundId, msg, decision, snap }) => {
  const actor = msg.from.address;
  const keyword = snap.keyword;

  if (decision.label === 'remove') {
    const auth = checkCommand(msg, snap, ['remove']);
    const why = failedConditions(auth, false);
    if (why.length > 0) return { disposition: 'REFUSED', copies: refuseCommand(ctx, inboundId, msg, 'remove', why) };
    return startRemove(ctx, { inboundId, msg, actor, argument: keyword?.argument ?? null });
  }

  const auth = checkCommand(msg, snap, [...MODERATOR_PURPOSES]);
  const why = failedConditions(auth);
  if (why.length > 0) return { disposition: 'REFUSED', copies: refuseCommand(ctx, inboundId, msg, 'conditions', why) };

  const token = auth.token.row!;
  const request = token.request_id !== null ? getRequest(ctx.db, token.request_id) : undefined;
  const reply = { to: [actor], autoSubmitted: 'auto-replied' as const, inReplyTo: msg.messageId, references: msg.references };
  const at = nowIso(ctx);

  if (auth.token.state === 'used' || (request && !['moderation', 'asked'].includes(request.state))) {
    appendAudit(ctx.db, { at, actor, action: 'command.stale', object: request ? `request:${request.id}` : token.subject, messageId: msg.messageId, detail: { keyword: keyword?.keyword ?? null } });
    return { disposition: 'STALE', copies: sendTemplate(ctx, inboundId, { ...reply, template: 'moderator.notice.already-decided', params: {
      id: request?.id ?? null, what: request ? `request #${request.id}` : TOKEN_OBJECT[token.purpose](token.subject),
      state: request?.state ?? 'done', by: request?.decided_by ?? token.used_by, when: request?.decided_at ?? token.used_at, reason: request?.reason ?? null,
    } }) };
  }
  if (auth.token.state === 'expired') {
    appendAudit(ctx.db, { at, actor, action: 'command.expired-token', object: request ? `request:${request.id}` : token.subject, messageId: msg.messageId });
    let copies = sendTemplate(ctx, inboundId, { ...reply, template: 'moderator.notice.token-expired', params: { id: request?.id ?? null, expiredAt: token.expires_at, resent: Boolean(request) } });
    if (request) copies += sendModeration(ctx, inboundId, request.id, { reason: `A reply from ${actor} carried an expired token; this copy carries a new one.` });
    return { disposition: 'EXPIRED', copies };
  }

  const command = keyword ? COMMANDS.get(token.purpose)?.get(keyword.keyword) : undefined;
  if (!command) {
    const allowed = [...(COMMANDS.get(token.purpose)?.keys() ?? [])];
    appendAudit(ctx.db, { at, actor, action: 'command.no-keyword', object: request ? `request:${request.id}` : token.subject, messageId: msg.messageId });
    return { disposition: 'NO_KEYWORD', copies: sendTemplate(ctx, inboundId, { ...reply, template: 'moderator.notice.no-keyword', params: { allowed: allowed.join(', '), read: keyword?.keyword ?? null } }) };
  }
  return command(ctx, { inboundId, msg, actor, argument: keyword!.argument, token, request });
};

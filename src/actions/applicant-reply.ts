/**
 * The applicant answers a moderator's question: the answer joins the request's thread, the
 * request goes back before the moderators, and they get it with a live token to act on. Or the
 * applicant confirms that a request of theirs replaces an earlier one (actions/replace-request).
 */
import { nowIso } from '../context';
import { tokenMessageId } from '../mail/compose';
import { ownReplyText } from '../message/reply';
import { checkToken } from '../policy/command-auth';
import { appendAudit } from '../store/audit';
import { addEvent, eventsOf, getRequest, setState } from '../store/requests';
import { createToken, liveToken } from '../store/tokens';
import { replacesOf } from '../policy/request-conflict';
import { refuseCommand } from './refuse';
import { confirmReplacement } from './replace-request';
import { sendTemplate } from './send';
import type { Action } from './types';

export const applicantReply: Action = (ctx, { inboundId, msg, snap }) => {
  const check = checkToken(msg, snap, ['applicant']);
  const request = check.row?.request_id != null ? getRequest(ctx.db, check.row.request_id) : undefined;
  const from = msg.from.address;
  if (!request || !['valid', 'expired', 'used'].includes(check.state)) {
    return {
      disposition: 'REFUSED',
      copies: refuseCommand(ctx, inboundId, msg, 'applicant-token', [{ plain: true, detail: check.detail }]),
    };
  }
  // The question went to the applicant; an answer from anyone else is not theirs to give.
  if (from !== request.applicant && from !== request.alias) {
    return {
      disposition: 'REFUSED',
      copies: refuseCommand(ctx, inboundId, msg, 'applicant-sender', [
        { notApplicant: true, request: request.id, from, applicant: request.applicant },
      ]),
    };
  }
  if (check.state !== 'valid' || !['moderation', 'asked'].includes(request.state)) {
    return {
      disposition: 'STALE',
      copies: sendTemplate(ctx, inboundId, {
        template: 'applicant.notice.answer-too-late',
        to: [from],
        autoSubmitted: 'auto-replied',
        inReplyTo: msg.messageId,
        references: msg.references,
        params: { id: request.id, state: request.state },
      }),
    };
  }
  // The acknowledgement of a request that waits to replace the applicant's earlier one asks for CONFIRM.
  const replaces = replacesOf(check.row.detail);
  if (replaces)
    return confirmReplacement(ctx, inboundId, msg, snap.keyword?.keyword ?? null, check.row, request, replaces);
  const at = nowIso(ctx);
  const answer = ownReplyText(msg.text) || '(the reply had no text of its own)';
  addEvent(ctx.db, request.id, at, from, 'answer', answer);
  setState(ctx.db, request.id, 'moderation', at);
  appendAudit(ctx.db, {
    at,
    actor: from,
    action: 'request.answer',
    object: `request:${request.id}`,
    messageId: msg.messageId,
  });
  const live =
    liveToken(ctx.db, request.id, 'moderate', at)?.token ??
    createToken(ctx.db, {
      purpose: 'moderate',
      requestId: request.id,
      at: ctx.clock(),
      days: ctx.config.policy.tokenDays,
    });
  const thread = eventsOf(ctx.db, request.id)
    .filter((e) => e.kind === 'ask' || e.kind === 'answer')
    .map((e) => ({ who: e.actor, what: e.kind === 'ask' ? 'asked' : 'answered', text: e.text ?? '', at: e.at }));
  const copies = sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.applicant-answered',
    to: ctx.config.list.moderators,
    messageId: tokenMessageId(ctx.config, live, `r${request.id}`),
    params: { id: request.id, token: live, organization: request.organization ?? '(unknown)', applicant: from, thread },
  });
  return { disposition: 'ANSWERED', copies };
};

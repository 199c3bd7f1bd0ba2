/**
 * One request replacing another of the same applicant: at once when the newer was authenticated,
 * or when the applicant answers CONFIRM to the acknowledgement of the newer one, which we mailed
 * to the applicant's address only (a forger of that From never sees it).
 */
import { nowIso, type Context } from '../context';
import type { InboundMessage } from '../message/parse';
import { appendAudit } from '../store/audit';
import { addEvent, getRequest, setState, type RequestRow } from '../store/requests';
import { retireTokens, useToken, type TokenRow } from '../store/tokens';
import { sendTemplate, answerTo } from './send';
import type { ActResult } from './types';

const PENDING = ['moderation', 'asked'];

/** Closes `old` as superseded by request `byId` and retires the moderators' tokens for it. */
export function supersede(ctx: Context, old: RequestRow, byId: number, actor: string, how: string): void {
  const at = nowIso(ctx);
  setState(ctx.db, old.id, 'superseded', at, { by: actor, reason: `superseded by request #${byId}` });
  retireTokens(ctx.db, old.id, 'moderate', `superseded:#${byId}`, at);
  addEvent(ctx.db, old.id, at, actor, 'superseded', `request #${byId} (${how})`);
}

/** The applicant's CONFIRM to "should request #N replace your earlier one?". */
export function confirmReplacement(
  ctx: Context,
  inboundId: number,
  msg: InboundMessage,
  keyword: string | null,
  token: TokenRow,
  request: RequestRow,
  replaces: number[],
): ActResult {
  const from = msg.from.address;
  const reply = answerTo(msg, from);
  if (keyword !== 'CONFIRM') {
    return {
      disposition: 'NO_KEYWORD',
      copies: sendTemplate(ctx, inboundId, {
        ...reply,
        template: 'requester.notice.confirmation-problem',
        params: { noKeyword: true },
      }),
    };
  }
  const at = nowIso(ctx);
  useToken(ctx.db, token.token, from, at);
  // Only the very same applicant's requests that are still before the moderators.
  const closed = replaces
    .map((id) => getRequest(ctx.db, id))
    .filter(
      (r): r is RequestRow =>
        r !== undefined && r.id !== request.id && r.applicant === request.applicant && PENDING.includes(r.state),
    );
  for (const old of closed) supersede(ctx, old, request.id, from, `confirmed from ${request.applicant}`);
  addEvent(ctx.db, request.id, at, from, 'replace-confirmed', closed.map((r) => `#${r.id}`).join(', ') || null);
  appendAudit(ctx.db, {
    at,
    actor: from,
    action: 'request.replace-confirmed',
    object: `request:${request.id}`,
    messageId: msg.messageId,
    detail: { replaced: closed.map((r) => r.id) },
  });
  ctx.log
    .child({ stage: 'act' })
    .info(
      { request: request.id, replaced: closed.map((r) => r.id) },
      `REQUEST_REPLACED request=${request.id} replaced=${closed.map((r) => r.id).join(',') || 'none'} by=confirmation`,
    );
  if (closed.length === 0) return { disposition: 'STALE', copies: 0 };
  const copies = sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.request-replaced',
    to: ctx.config.list.moderators,
    params: {
      id: request.id,
      replaced: closed.map((r) => `#${r.id}`).join(', '),
      applicant: request.applicant,
      confirmedBy: from,
    },
  });
  return { disposition: 'REPLACED', copies };
}

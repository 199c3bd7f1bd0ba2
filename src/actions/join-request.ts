/**
 * A join request: parsed into per-criterion answers, the alias checked, saved as a workflow in
 * state "moderation", acknowledged to the applicant at once, and put before the moderators in
 * one mail whose token their reply must carry.
 */
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import type { InboundMessage } from '../message/parse';
import { checkAlias } from '../policy/corporate-alias';
import { parseJoinRequest } from '../policy/join-request';
import { indent, viewRequest } from '../policy/request-view';
import { appendAudit } from '../store/audit';
import { addEvent, getRequest, insertRequest, openRequestsOf, setState } from '../store/requests';
import { createToken, retireTokens } from '../store/tokens';
import { sendTemplate } from './send';
import type { Action } from './types';

export function extractRequest(ctx: Pick<Context, 'config'>, msg: InboundMessage) {
  const { policy } = ctx.config;
  const parsed = parseJoinRequest({
    subject: msg.subject, text: msg.text, fromAddress: msg.from.address, fromName: msg.from.name,
    criteria: policy.criteria, aliasCriterion: policy.aliasCriterion, embargoCriterion: policy.embargoCriterion,
  });
  const aliasFindings = checkAlias({ alias: parsed.alias, fromAddress: msg.from.address, fromName: msg.from.name, organization: parsed.organization }, policy.alias);
  return { ...parsed, aliasFindings };
}

export const joinRequest: Action = (ctx, { inboundId, msg }) => {
  const at = nowIso(ctx);
  const { config } = ctx;
  const req = extractRequest(ctx, msg);

  // A newer request from the same applicant replaces the open ones: the moderators decide once.
  const superseded = openRequestsOf(ctx.db, msg.from.address);
  const id = insertRequest(ctx.db, {
    applicant: msg.from.address, applicantName: msg.from.name, organization: req.organization, alias: req.alias,
    subject: msg.subject, answers: req.answers, missing: req.missing, acceptsEmbargo: req.acceptsEmbargo,
    findings: req.aliasFindings, inboundId, messageId: msg.messageId,
  }, at);
  for (const old of superseded) {
    setState(ctx.db, old.id, 'superseded', at, { by: msg.from.address, reason: `superseded by request #${id}` });
    retireTokens(ctx.db, old.id, 'moderate', `superseded:#${id}`, at);
    addEvent(ctx.db, old.id, at, msg.from.address, 'superseded', `request #${id}`);
  }
  addEvent(ctx.db, id, at, msg.from.address, 'received', null);
  appendAudit(ctx.db, { at, actor: msg.from.address, action: 'request.receive', object: `request:${id}`, messageId: msg.messageId,
    detail: { organization: req.organization, alias: req.alias, missing: req.missing, findings: req.aliasFindings.map((f) => f.code) } });

  const view = viewRequest(getRequest(ctx.db, id)!, config.policy);
  let copies = sendTemplate(ctx, inboundId, {
    template: 'applicant.notice.request-received', to: [msg.from.address], autoSubmitted: 'auto-replied',
    inReplyTo: msg.messageId, references: msg.references,
    params: { id, subject: msg.subject || '(no subject)', view, complete: view.missing.length === 0 && view.blocking.length === 0 && view.acceptsEmbargo, embargoCriterion: config.policy.embargoCriterion },
  });
  copies += sendModeration(ctx, inboundId, id, { superseded: superseded.map((r) => r.id) });
  return { disposition: 'REQUEST', copies };
};

/** The moderators' mail for a request, with a fresh token. Also used for reminders and re-sends. */
export function sendModeration(ctx: Context, inboundId: number | null, requestId: number, extra: { superseded?: number[]; reason?: string } = {}): number {
  const { config } = ctx;
  const token = createToken(ctx.db, { purpose: 'moderate', requestId, at: ctx.clock(), days: config.policy.tokenDays });
  const view = viewRequest(getRequest(ctx.db, requestId)!, config.policy);
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.action.join-request', to: config.list.moderators,
    messageId: tokenMessageId(config, token, `r${requestId}`),
    params: {
      id: requestId, token, view,
      criteria: view.criteria.map((c) => ({ ...c, answer: indent(c.answer) })),
      superseded: extra.superseded?.length ? extra.superseded.map((n) => `#${n}`).join(', ') : null,
      reason: extra.reason ?? null,
      expires: new Date(ctx.clock().getTime() + config.policy.tokenDays * 86_400_000).toISOString(),
    },
  });
}

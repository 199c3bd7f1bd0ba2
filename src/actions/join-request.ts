/**
 * A join request: parsed into per-criterion answers, the alias and organization checked, saved as
 * a workflow in state "moderation", acknowledged to the applicant at once, and put before the
 * moderators in one mail whose token their reply must carry.
 *
 * A pending request stays its applicant's: a newer one from the same address replaces it at once
 * only when the newer one is authenticated; otherwise both stay before the moderators, each naming
 * the other, and the acknowledgement (mailed to that address only) asks the applicant to CONFIRM
 * the replacement (actions/replace-request).
 */
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import type { InboundMessage } from '../message/parse';
import type { AuthVerdict } from '../policy/sender-auth';
import { checkAlias } from '../policy/corporate-alias';
import { parseJoinRequest } from '../policy/join-request';
import { organizationFindings } from '../policy/organization-match';
import { planReplacement, sameMailbox, type ReplaceDetail } from '../policy/request-conflict';
import { indent, viewRequest } from '../policy/request-view';
import { appendAudit } from '../store/audit';
import { activeMembers } from '../store/members';
import { addEvent, getRequest, insertRequest, pendingOfMailbox } from '../store/requests';
import { getRequestKey, putRequestKey } from '../store/keys';
import { createToken } from '../store/tokens';
import type { Db } from '../store/db';
import { supersede } from './replace-request';
import { requestKeyParams } from './member-key';
import { sendTemplate } from './send';
import type { Action } from './types';

/** Reads the request and checks it; `db` (the members) adds the checks against existing members. */
export function extractRequest(ctx: Pick<Context, 'config'> & { db?: Db }, msg: InboundMessage) {
  const { policy } = ctx.config;
  const parsed = parseJoinRequest({
    subject: msg.subject,
    text: msg.text,
    fromAddress: msg.from.address,
    fromName: msg.from.name,
    criteria: policy.criteria,
    aliasCriterion: policy.aliasCriterion,
    embargoCriterion: policy.embargoCriterion,
  });
  const members = ctx.db ? activeMembers(ctx.db) : [];
  const aliasFindings = [
    ...checkAlias(
      {
        alias: parsed.alias,
        fromAddress: msg.from.address,
        fromName: msg.from.name,
        organization: parsed.organization,
        memberDomains: members.map((m) => m.address),
      },
      policy.alias,
    ),
    ...organizationFindings(parsed.organization, members),
  ];
  return { ...parsed, aliasFindings };
}

/** One line on how the sender was judged, for the moderators. */
function authLine(auth: AuthVerdict | null): string {
  if (!auth) return 'not checked';
  const line = auth.evidence.join('; ').replace(/[\r\n]+/g, ' ');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export const joinRequest: Action = (ctx, { inboundId, msg, snap }) => {
  const at = nowIso(ctx);
  const { config } = ctx;
  const req = extractRequest(ctx, msg);
  const authenticated = snap.auth?.authenticated === true;

  const pending = pendingOfMailbox(ctx.db, msg.from.address, sameMailbox);
  const plan = planReplacement(msg.from.address, authenticated, pending);
  const id = insertRequest(
    ctx.db,
    {
      applicant: msg.from.address,
      applicantName: msg.from.name,
      organization: req.organization,
      alias: req.alias,
      subject: msg.subject,
      answers: req.answers,
      missing: req.missing,
      acceptsEmbargo: req.acceptsEmbargo,
      findings: req.aliasFindings,
      inboundId,
      messageId: msg.messageId,
      authenticated,
      authEvidence: authLine(snap.auth),
    },
    at,
  );
  for (const old of plan.replaceNow) supersede(ctx, old, id, msg.from.address, 'the newer request was authenticated');
  if (snap.attachedKey) putRequestKey(ctx.db, id, snap.attachedKey);
  addEvent(ctx.db, id, at, msg.from.address, 'received', null);
  for (const other of plan.beside)
    addEvent(
      ctx.db,
      other.id,
      at,
      msg.from.address,
      'another-request',
      `request #${id} from ${msg.from.address}, ${authenticated ? 'authenticated' : 'not authenticated'}`,
    );
  appendAudit(ctx.db, {
    at,
    actor: msg.from.address,
    action: 'request.receive',
    object: `request:${id}`,
    messageId: msg.messageId,
    detail: {
      organization: req.organization,
      alias: req.alias,
      missing: req.missing,
      findings: req.aliasFindings.map((f) => f.code),
      authenticated,
      key: snap.attachedKey
        ? snap.attachedKey.state === 'key'
          ? snap.attachedKey.key.fingerprint
          : snap.attachedKey.code
        : null,
      superseded: plan.replaceNow.map((r) => r.id),
      beside: plan.beside.map((r) => r.id),
    },
  });
  if (plan.beside.length > 0) {
    ctx.log
      .child({ stage: 'act' })
      .warn(
        { request: id, beside: plan.beside.map((r) => r.id), authenticated },
        `REQUEST_BESIDE_PENDING request=${id} pending=${plan.beside.map((r) => r.id).join(',')} authenticated=${authenticated}`,
      );
  }

  // The acknowledgement goes to the From address only. When it must confirm a replacement, it
  // carries a token of its own: only whoever reads that mailbox can answer it.
  const confirm =
    plan.replaceOnConfirm.length > 0
      ? createToken(ctx.db, {
          purpose: 'applicant',
          requestId: id,
          detail: { replaces: plan.replaceOnConfirm.map((r) => r.id) } satisfies ReplaceDetail,
          at: ctx.clock(),
          days: config.policy.tokenDays,
        })
      : null;
  const view = viewRequest(getRequest(ctx.db, id)!, config.policy, pending);
  let copies = sendTemplate(ctx, inboundId, {
    template: 'applicant.notice.request-received',
    to: [msg.from.address],
    autoSubmitted: 'auto-replied',
    inReplyTo: msg.messageId,
    references: msg.references,
    messageId: confirm ? tokenMessageId(config, confirm, `a${id}`) : undefined,
    params: {
      id,
      subject: msg.subject || '(no subject)',
      view,
      complete: view.missing.length === 0 && view.blocking.length === 0 && view.acceptsEmbargo,
      embargoCriterion: config.policy.embargoCriterion,
      replaced: plan.replaceNow.length ? plan.replaceNow.map((r) => `#${r.id}`).join(', ') : null,
      token: confirm,
      confirmReplace: confirm ? { replaces: plan.replaceOnConfirm.map((r) => `#${r.id}`).join(', ') } : null,
      ...requestKeyParams(getRequestKey(ctx.db, id), req.alias),
    },
  });
  copies += sendModeration(ctx, inboundId, id, { superseded: plan.replaceNow.map((r) => r.id) });
  return { disposition: 'REQUEST', copies };
};

/** The moderators' mail for a request, with a fresh token. Also used for reminders and re-sends. */
export function sendModeration(
  ctx: Context,
  inboundId: number | null,
  requestId: number,
  extra: { superseded?: number[]; expiredTokenFrom?: string; reminder?: boolean } = {},
): number {
  const { config } = ctx;
  const token = createToken(ctx.db, { purpose: 'moderate', requestId, at: ctx.clock(), days: config.policy.tokenDays });
  const row = getRequest(ctx.db, requestId)!;
  const view = viewRequest(row, config.policy, pendingOfMailbox(ctx.db, row.applicant, sameMailbox, requestId));
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.action.join-request',
    to: config.list.moderators,
    messageId: tokenMessageId(config, token, `r${requestId}`),
    params: {
      id: requestId,
      token,
      view,
      criteria: view.criteria.map((c) => ({ ...c, answer: indent(c.answer) })),
      superseded: extra.superseded?.length ? extra.superseded.map((n) => `#${n}`).join(', ') : null,
      expiredTokenFrom: extra.expiredTokenFrom ?? null,
      reminder: extra.reminder ?? false,
      expires: new Date(ctx.clock().getTime() + config.policy.tokenDays * 86_400_000).toISOString(),
      ...requestKeyParams(getRequestKey(ctx.db, requestId), row.alias),
    },
  });
}

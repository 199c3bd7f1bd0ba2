/**
 * The expiry clock: confirmations nobody answered lapse (the moderators are told); requests whose
 * moderation token expired without a decision come back to the moderators with a new token;
 * other expired tokens are retired. The request timers run here too, before the tokens, so that a
 * reminder and an expired token due at the same tick make one mail (see remindRequests). Reads what is due from the database, so a restart loses
 * nothing and nothing fires twice.
 */
import { sendModeration } from '../actions/join-request';
import { sendTemplate } from '../actions/send';
import { nowIso, type Context } from '../context';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { addEvent, getRequest, markTimer, setState, waitingSince, type RequestRow } from '../store/requests';
import { expiredUnhandled, liveToken, markRetired } from '../store/tokens';
import { decideHeld, heldExpiring } from '../store/held';
import { findMember } from '../store/members';
import { clearOpenedOfExpiredSends } from '../store/inbound';

export interface ExpiryResult {
  lapsed: number;
  reminded: number;
  retired: number;
  heldExpired: number;
  probesUnanswered: number;
  /** Requests reminded to the moderators (policy.requestReminderDays), their applicants told. */
  requestsReminded: number;
  /** Requests escalated to list.escalation (policy.requestEscalationDays). */
  requestsEscalated: number;
}

const daysBefore = (ctx: Context, days: number): string =>
  new Date(ctx.clock().getTime() - days * 86_400_000).toISOString();

/** Whole days a request has waited, for the mails. */
const waitedDays = (ctx: Context, r: RequestRow): number =>
  Math.floor((ctx.clock().getTime() - new Date(r.created_at).getTime()) / 86_400_000);

/**
 * The request timers. A request before the moderators with no decision (state moderation) since
 * policy.requestReminderDays is reminded to them once, with a fresh copy of its mail when its
 * token has expired (then the token loop below finds a live token and sends nothing more), and
 * its applicant is told once that it is still open (an automatic answer, under the per-recipient
 * cap of policy.autoRepliesPerDay, since its sender may be forged). Since policy.requestEscalationDays it is
 * escalated once to list.escalation, when that is set (the moderators get the same mail). A
 * decided request is never picked: only state moderation is. Returns the copies queued.
 */
function remindRequests(ctx: Context, at: string, result: ExpiryResult): number {
  const { config, db } = ctx;
  let copies = 0;
  for (const r of waitingSince(db, daysBefore(ctx, config.policy.requestReminderDays), 'reminded_at')) {
    const days = waitedDays(ctx, r);
    const resent = !liveToken(db, r.id, 'moderate', at);
    // The applicant's From may be forged (an unauthenticated request, migration 0008): the notice
    // is an automatic answer to the request's mail, under the same per-recipient daily cap
    // (policy.autoRepliesPerDay, AUTOREPLY_CAPPED) and with the null envelope sender. Marked as
    // told only when it went out; it is tried this once, with the reminder.
    let applicantTold = r.applicant_told_at !== null;
    if (!r.applicant_told_at) {
      const told = sendTemplate(ctx, null, {
        template: 'applicant.notice.request-open',
        to: [r.applicant],
        autoSubmitted: 'auto-replied',
        inReplyTo: r.message_id,
        params: { id: r.id, organization: r.organization ?? '(unknown)', receivedAt: r.created_at, days },
      });
      if (told > 0) markTimer(db, r.id, 'applicant_told_at', at);
      applicantTold = told > 0;
      copies += told;
    }
    copies += sendTemplate(ctx, null, {
      template: 'moderator.notice.request-waiting',
      to: config.list.moderators,
      params: {
        id: r.id,
        days,
        organization: r.organization ?? '(unknown)',
        alias: r.alias ?? '(none)',
        receivedAt: r.created_at,
        escalationDays: config.policy.requestEscalationDays,
        escalation: Boolean(config.list.escalation) && config.policy.requestEscalationDays > days,
        resent,
        applicantTold,
      },
    });
    if (resent) copies += sendModeration(ctx, null, r.id, { reminder: true });
    markTimer(db, r.id, 'reminded_at', at);
    addEvent(db, r.id, at, 'expiry', 'reminded', `${days} days without a decision`);
    appendAudit(db, { at, actor: 'daemon', action: 'request.remind', object: `request:${r.id}`, detail: { days } });
    result.requestsReminded += 1;
  }
  const escalation = config.list.escalation;
  if (!escalation) return copies;
  for (const r of waitingSince(db, daysBefore(ctx, config.policy.requestEscalationDays), 'escalated_at')) {
    const days = waitedDays(ctx, r);
    copies += sendTemplate(ctx, null, {
      template: 'moderator.notice.request-escalated',
      to: [...new Set([escalation, ...config.list.moderators])],
      params: {
        id: r.id,
        organization: r.organization ?? '(unknown)',
        alias: r.alias ?? '(none)',
        applicant: r.applicant,
        receivedAt: r.created_at,
        days,
        moderators: config.list.moderators.join(', '),
      },
    });
    markTimer(db, r.id, 'escalated_at', at);
    addEvent(db, r.id, at, 'expiry', 'escalated', `to ${escalation} after ${days} days`);
    appendAudit(db, {
      at,
      actor: 'daemon',
      action: 'request.escalate',
      object: `request:${r.id}`,
      detail: { days, to: escalation },
    });
    result.requestsEscalated += 1;
  }
  return copies;
}

export function runExpiry(ctx: Context): ExpiryResult {
  return transaction(ctx.db, () => {
    const at = nowIso(ctx);
    const result: ExpiryResult = {
      lapsed: 0,
      reminded: 0,
      retired: 0,
      heldExpired: 0,
      probesUnanswered: 0,
      requestsReminded: 0,
      requestsEscalated: 0,
    };
    let copies = remindRequests(ctx, at, result);
    for (const token of expiredUnhandled(ctx.db, 'confirm', at)) {
      markRetired(ctx.db, token.token, at);
      const request = getRequest(ctx.db, token.request_id!);
      if (!request || request.state !== 'confirming') continue;
      setState(ctx.db, request.id, 'lapsed', at, { by: 'expiry', reason: 'the alias did not confirm in time' });
      addEvent(ctx.db, request.id, at, 'expiry', 'lapsed', null);
      appendAudit(ctx.db, { at, actor: 'daemon', action: 'request.lapse', object: `request:${request.id}` });
      copies += sendTemplate(ctx, null, {
        template: 'moderator.notice.confirmation-lapsed',
        to: ctx.config.list.moderators,
        params: {
          id: request.id,
          alias: request.alias,
          organization: request.organization ?? '(unknown)',
          expiredAt: token.expires_at,
        },
      });
      result.lapsed += 1;
    }
    for (const token of expiredUnhandled(ctx.db, 'moderate', at)) {
      markRetired(ctx.db, token.token, at);
      const request = getRequest(ctx.db, token.request_id!);
      if (!request || !['moderation', 'asked'].includes(request.state) || liveToken(ctx.db, request.id, 'moderate', at))
        continue;
      copies += sendTemplate(ctx, null, {
        template: 'moderator.notice.request-waiting',
        to: ctx.config.list.moderators,
        params: {
          id: request.id,
          days: null,
          organization: request.organization ?? '(unknown)',
          alias: request.alias ?? '(none)',
          receivedAt: request.created_at,
          escalationDays: ctx.config.policy.requestEscalationDays,
          escalation: false,
          resent: true,
        },
      });
      copies += sendModeration(ctx, null, request.id, { reminder: true });
      result.reminded += 1;
    }
    for (const purpose of ['applicant', 'unsubscribe', 'remove', 'held'] as const) {
      for (const token of expiredUnhandled(ctx.db, purpose, at)) {
        markRetired(ctx.db, token.token, at);
        result.retired += 1;
      }
    }
    for (const token of expiredUnhandled(ctx.db, 'probe', at)) {
      markRetired(ctx.db, token.token, at);
      const member = findMember(ctx.db, token.subject!);
      if (!member || member.status !== 'active') continue;
      appendAudit(ctx.db, { at, actor: 'daemon', action: 'member.probe-unanswered', object: member.address });
      copies += sendTemplate(ctx, null, {
        template: 'moderator.notice.probe-unanswered',
        to: ctx.config.list.moderators,
        params: {
          address: member.address,
          organization: member.organization,
          probedAt: token.created_at,
          graceDays: ctx.config.policy.probeGraceDays,
        },
      });
      result.probesUnanswered += 1;
    }
    for (const held of heldExpiring(ctx.db, at)) {
      decideHeld(ctx.db, held.inbound_id, 'expired', 'expiry', at);
      appendAudit(ctx.db, {
        at,
        actor: 'daemon',
        action: 'held.expire',
        object: `inbound:${held.inbound_id}`,
        messageId: held.message_id,
      });
      copies += sendTemplate(ctx, null, {
        template: 'moderator.notice.held-expired',
        to: ctx.config.list.moderators,
        params: {
          id: held.inbound_id,
          from: held.sender,
          subject: held.subject || '(no subject)',
          holdDays: ctx.config.policy.holdDays,
        },
      });
      result.heldExpired += 1;
    }
    // A returned post nobody sent in time: SEND can no longer open it, so the plaintext kept for it
    // goes (a held post's goes with its decision above, store/held decideHeld).
    const cleared = clearOpenedOfExpiredSends(ctx.db, at);
    if (cleared > 0) ctx.log.child({ stage: 'expiry' }).info({ cleared }, `OPENED_RAW_CLEARED returned=${cleared}`);
    if (copies > 0) queueMicrotask(ctx.outboxChanged);
    return result;
  });
}

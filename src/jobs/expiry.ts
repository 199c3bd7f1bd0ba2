/**
 * The expiry clock: confirmations nobody answered lapse (the moderators are told); requests whose
 * moderation token expired without a decision come back to the moderators with a new token;
 * other expired tokens are retired. Reads what is due from the database, so a restart loses
 * nothing and nothing fires twice.
 */
import { sendModeration } from '../actions/join-request';
import { sendTemplate } from '../actions/send';
import { nowIso, type Context } from '../context';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { addEvent, getRequest, setState } from '../store/requests';
import { expiredUnhandled, liveToken, markRetired } from '../store/tokens';
import { decideHeld, heldExpiring } from '../store/held';
import { findMember } from '../store/members';

export interface ExpiryResult {
  lapsed: number;
  reminded: number;
  retired: number;
  heldExpired: number;
  probesUnanswered: number;
}

export function runExpiry(ctx: Context): ExpiryResult {
  return transaction(ctx.db, () => {
    const at = nowIso(ctx);
    const result: ExpiryResult = { lapsed: 0, reminded: 0, retired: 0, heldExpired: 0, probesUnanswered: 0 };
    let copies = 0;
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
        params: { id: request.id },
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
    if (copies > 0) queueMicrotask(ctx.outboxChanged);
    return result;
  });
}

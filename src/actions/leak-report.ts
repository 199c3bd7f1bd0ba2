/**
 * A member reports a leak, as the policy asks: in reply to the disclosure, or naming its number.
 * It is stored with what leaked and to whom, a retrospective is opened, the moderators get an
 * urgent mail of its own, the list is told (the report is relayed into the thread), the reporter
 * is asked at once for what is missing, and a member at the leak limit is proposed for removal.
 *
 * Who leaked: the reporter, as the policy asks the member who leaked to report it, unless the
 * report names someone else in a "Leaked by:" line (policy/leak-attribution). Leaks are counted
 * per member alias, never per organization name, and only a member's own reports count toward
 * their removal: another alias's report names them to the moderators but never proposes them.
 */
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import { ownReplyText } from '../message/reply';
import { formatUtc } from '../policy/embargo-date';
import { attributeLeak } from '../policy/leak-attribution';
import { parseLeakReport } from '../policy/leak-report';
import { appendAudit } from '../store/audit';
import type { DisclosureRow } from '../store/disclosures';
import {
  getLeak,
  insertLeak,
  markRemovalProposed,
  openLeakWithMissing,
  ownLeaksOf,
  updateLeakDetails,
  type LeakRow,
} from '../store/leaks';
import { activeMembers, findMember } from '../store/members';
import { leakPeople } from './leak-view';
import { createToken } from '../store/tokens';
import { sendTemplate } from './send';
import { relayToThread } from './thread-relay';
import { LONG_LIVED_DAYS } from './open-disclosure';
import type { ActionOf } from './types';

const DAY = 86_400_000;

export const leakReport: ActionOf<'leak-report'> = (ctx, { inboundId, msg, decision, snap }) => {
  const d = decision.thread;
  const at = nowIso(ctx);
  const member = findMember(ctx.db, msg.from.address)!;
  const report = parseLeakReport(ownReplyText(msg.text));
  let copies = 0;

  // The reporter sending the missing lines completes the report; it is not a second leak.
  const open = openLeakWithMissing(ctx.db, d.id, member.address);
  let leakId: number;
  if (open) {
    updateLeakDetails(
      ctx.db,
      open.id,
      report.what ?? open.what,
      report.toWhom ?? open.to_whom,
      `${open.text}\n\n${report.text}`,
    );
    leakId = open.id;
    appendAudit(ctx.db, {
      at,
      actor: member.address,
      action: 'leak.update',
      object: `leak:${leakId}`,
      messageId: msg.messageId,
    });
  } else {
    const retroDue = new Date(ctx.clock().getTime() + ctx.config.policy.retrospectiveDays * DAY).toISOString();
    const who = attributeLeak(member, report.leakedBy, activeMembers(ctx.db));
    leakId = insertLeak(
      ctx.db,
      {
        disclosureId: d.id,
        reporter: member.address,
        reporterOrganization: member.organization,
        leaker: who.leaker?.address ?? null,
        leakerOrganization: who.leaker?.organization ?? null,
        leakerNamed: who.claim,
        leakerCandidates: who.candidates,
        attribution: who.attribution,
        what: report.what,
        toWhom: report.toWhom,
        text: report.text,
        messageId: msg.messageId,
        retroDue,
      },
      at,
    );
    appendAudit(ctx.db, {
      at,
      actor: member.address,
      action: 'leak.report',
      object: `leak:${leakId}`,
      messageId: msg.messageId,
      detail: {
        disclosure: d.id,
        reporter: member.address,
        reporterOrganization: member.organization,
        leaker: who.leaker?.address ?? null,
        attribution: who.attribution,
        candidates: who.candidates,
      },
    });
    if (!who.leaker) {
      ctx.log.child({ stage: 'act' }).warn(
        {
          leak: leakId,
          disclosure: d.id,
          reporter: member.address,
          attribution: who.attribution,
          candidates: who.candidates,
        },
        `LEAK_UNATTRIBUTED leak=${leakId} attribution=${who.attribution}`,
      );
    }
  }
  const leak = getLeak(ctx.db, leakId)!;
  const kind = !open ? 'reported' : leak.what && leak.to_whom ? 'report completed' : 'report updated';
  copies += urgentMail(ctx, inboundId, leak.id, d, kind);
  copies += relayToThread(ctx, inboundId, msg.raw, d, member.address, msg.messageId, snap.rewriteFrom);
  const missing = [...(leak.what ? [] : ['What:']), ...(leak.to_whom ? [] : ['To whom:'])];
  copies += sendTemplate(ctx, inboundId, {
    template: missing.length ? 'member.action.leak-details-missing' : 'member.notice.leak-recorded',
    to: [member.address],
    autoSubmitted: 'auto-replied',
    inReplyTo: msg.messageId,
    references: msg.references,
    params: {
      ...leakPeople(leak),
      missing: missing.join(' and '),
      due: formatUtc(new Date(leak.retro_due)),
      prefix: `[#${d.id}]`,
    },
  });
  if (!open) copies += proposeRemoval(ctx, inboundId, leak);
  return { disposition: 'LEAK', copies };
};

function urgentMail(ctx: Context, inboundId: number, leakId: number, d: DisclosureRow, kind: string): number {
  const leak = getLeak(ctx.db, leakId)!;
  // Serves until RETRO closes the retrospective, however late: the reminders never stop before.
  const token = createToken(ctx.db, {
    purpose: 'leak',
    subject: String(leakId),
    at: ctx.clock(),
    days: LONG_LIVED_DAYS,
  });
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.action.leak-reported',
    to: ctx.config.list.moderators,
    messageId: tokenMessageId(ctx.config, token, `leak${leakId}`),
    params: {
      ...leakPeople(leak),
      token,
      kind,
      subject: d.subject,
      state: d.state,
      limit: ctx.config.policy.leakLimit,
      what: leak.what ?? '(not said yet: the reporter was asked)',
      toWhom: leak.to_whom ?? '(not said yet: the reporter was asked)',
      text: leak.text,
      due: formatUtc(new Date(leak.retro_due)),
    },
  });
}

/**
 * At the leak limit within the window, the moderators get the member's own reports and the REMOVE
 * line to send. Counted per alias: a report that is not the reporter's own leak proposes nobody.
 */
function proposeRemoval(ctx: Context, inboundId: number, leak: LeakRow): number {
  if (leak.attribution !== 'self' || !leak.leaker) return 0;
  const { policy } = ctx.config;
  const member = leak.leaker;
  const since = new Date(ctx.clock().getTime() - policy.leakWindowDays * DAY).toISOString();
  const history = ownLeaksOf(ctx.db, member, since);
  if (history.length < policy.leakLimit) return 0;
  markRemovalProposed(ctx.db, leak.id, nowIso(ctx));
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: 'daemon',
    action: 'leak.removal-proposed',
    object: member,
    detail: {
      organization: leak.leaker_organization,
      leaks: history.map((l) => l.id),
      reporters: [...new Set(history.map((l) => l.reporter))],
    },
  });
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.action.removal-proposal',
    to: ctx.config.list.moderators,
    params: {
      member,
      organization: leak.leaker_organization ?? '',
      count: history.length,
      limit: policy.leakLimit,
      windowDays: policy.leakWindowDays,
      history: history.map((l) => ({
        id: l.id,
        disclosure: l.disclosure_id,
        at: formatUtc(new Date(l.reported_at)),
        reporter: l.reporter,
        reporterOrganization: l.reporter_organization,
        what: l.what ?? '(not said)',
        toWhom: l.to_whom ?? '(not said)',
        retro: l.retro_summary ?? (l.retro_closed_at ? 'closed' : 'open'),
      })),
      removeLine: `REMOVE ${member} repeated leaks: ${history.map((l) => `#${l.id}`).join(', ')}`,
    },
  });
}

/**
 * A member reports a leak, as the policy asks: in reply to the disclosure, or naming its number.
 * It is stored with what leaked and to whom, a retrospective is opened, the moderators get an
 * urgent mail of its own, the list is told (the report is relayed into the thread), the reporter
 * is asked at once for what is missing, and an organization at the leak limit is proposed for
 * removal.
 */
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import { ownReplyText } from '../message/reply';
import { formatUtc } from '../policy/embargo-date';
import { parseLeakReport } from '../policy/leak-report';
import { appendAudit } from '../store/audit';
import type { DisclosureRow } from '../store/disclosures';
import { getLeak, insertLeak, leaksOfOrganization, markRemovalProposed, openLeakWithMissing, updateLeakDetails } from '../store/leaks';
import { findMember } from '../store/members';
import { createToken } from '../store/tokens';
import { sendTemplate } from './send';
import { relayToThread } from './thread-relay';
import { LONG_LIVED_DAYS } from './open-disclosure';
import type { Action } from './types';

const DAY = 86_400_000;

export const leakReport: Action = (ctx, { inboundId, msg, snap }) => {
  const d = (snap.thread ?? snap.namedThread)!;
  const at = nowIso(ctx);
  const member = findMember(ctx.db, msg.from.address)!;
  const report = parseLeakReport(ownReplyText(msg.text));
  let copies = 0;

  // The reporter sending the missing lines completes the report; it is not a second leak.
  const open = openLeakWithMissing(ctx.db, d.id, member.address);
  let leakId: number;
  if (open) {
    updateLeakDetails(ctx.db, open.id, report.what ?? open.what, report.toWhom ?? open.to_whom, `${open.text}\n\n${report.text}`);
    leakId = open.id;
    appendAudit(ctx.db, { at, actor: member.address, action: 'leak.update', object: `leak:${leakId}`, messageId: msg.messageId });
  } else {
    const retroDue = new Date(ctx.clock().getTime() + ctx.config.policy.retrospectiveDays * DAY).toISOString();
    leakId = insertLeak(ctx.db, { disclosureId: d.id, reporter: member.address, organization: member.organization, what: report.what, toWhom: report.toWhom, text: report.text, messageId: msg.messageId, retroDue }, at);
    appendAudit(ctx.db, { at, actor: member.address, action: 'leak.report', object: `leak:${leakId}`, messageId: msg.messageId, detail: { disclosure: d.id, organization: member.organization } });
  }
  const leak = getLeak(ctx.db, leakId)!;
  const kind = !open ? 'reported' : leak.what && leak.to_whom ? 'report completed' : 'report updated';
  copies += urgentMail(ctx, inboundId, leak.id, d, kind);
  copies += relayToThread(ctx, inboundId, msg.raw, d, member.address, msg.messageId, snap.rewriteFrom);
  const missing = [...(leak.what ? [] : ['What:']), ...(leak.to_whom ? [] : ['To whom:'])];
  copies += sendTemplate(ctx, inboundId, {
    template: missing.length ? 'member.action.leak-details-missing' : 'member.notice.leak-recorded', to: [member.address],
    autoSubmitted: 'auto-replied', inReplyTo: msg.messageId, references: msg.references,
    params: { id: leak.id, disclosure: d.id, missing: missing.join(' and '), due: formatUtc(new Date(leak.retro_due)), prefix: `[#${d.id}]` },
  });
  if (!open) copies += proposeRemoval(ctx, inboundId, member.address, member.organization, leak.id);
  return { disposition: 'LEAK', copies };
};

function urgentMail(ctx: Context, inboundId: number, leakId: number, d: DisclosureRow, kind: string): number {
  const leak = getLeak(ctx.db, leakId)!;
  // Serves until RETRO closes the retrospective, however late: the reminders never stop before.
  const token = createToken(ctx.db, { purpose: 'leak', subject: String(leakId), at: ctx.clock(), days: LONG_LIVED_DAYS });
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.action.leak-reported', to: ctx.config.list.moderators, messageId: tokenMessageId(ctx.config, token, `leak${leakId}`),
    params: {
      id: leakId, token, kind, disclosure: d.id, subject: d.subject, state: d.state, reporter: leak.reporter, organization: leak.organization,
      what: leak.what ?? '(not said yet: the reporter was asked)', toWhom: leak.to_whom ?? '(not said yet: the reporter was asked)',
      text: leak.text, due: formatUtc(new Date(leak.retro_due)),
    },
  });
}

/** At the leak limit within the window, the moderators get the history and the REMOVE line to send. */
function proposeRemoval(ctx: Context, inboundId: number, member: string, organization: string, leakId: number): number {
  const { policy } = ctx.config;
  const since = new Date(ctx.clock().getTime() - policy.leakWindowDays * DAY).toISOString();
  const history = leaksOfOrganization(ctx.db, organization, since);
  if (history.length < policy.leakLimit) return 0;
  markRemovalProposed(ctx.db, leakId, nowIso(ctx));
  appendAudit(ctx.db, { at: nowIso(ctx), actor: 'daemon', action: 'leak.removal-proposed', object: member, detail: { organization, leaks: history.map((l) => l.id) } });
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.action.removal-proposal', to: ctx.config.list.moderators,
    params: {
      member, organization, count: history.length, limit: policy.leakLimit, windowDays: policy.leakWindowDays,
      history: history.map((l) => ({ id: l.id, disclosure: l.disclosure_id, at: formatUtc(new Date(l.reported_at)), what: l.what ?? '(not said)', toWhom: l.to_whom ?? '(not said)', retro: l.retro_summary ?? (l.retro_closed_at ? 'closed' : 'open') })),
      removeLine: `REMOVE ${member} repeated leaks: ${history.map((l) => `#${l.id}`).join(', ')}`,
    },
  });
}


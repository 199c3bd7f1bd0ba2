/**
 * What the console pages show, read from the store: plain functions of (ctx, now) that return
 * view objects for the templates. They change nothing.
 */
import type { Context } from '../context';
import { parseMessage } from '../message/parse';
import { sameMailbox } from '../policy/request-conflict';
import { viewRequest, type RequestView } from '../policy/request-view';
import { listAudit, type AuditRow } from '../store/audit';
import { cached, type Db } from '../store/db';
import { listDisclosures, receiptsOf, type DisclosureRow } from '../store/disclosures';
import { listHeld } from '../store/held';
import { getInbound, relayableRaw } from '../store/inbound';
import { leakCandidates, listLeaks } from '../store/leaks';
import { allMembers, activeMembers } from '../store/members';
import { eventsOf, listRequests, pendingOfMailbox, type RequestRow } from '../store/requests';
import { collectStatus } from '../store/status';
import { duration, relative, shortTime } from './time';

/** The most of a held message's text a page shows. */
export const HELD_TEXT_LIMIT = 20_000;

export interface PendingRequest extends RequestView {
  waited: string;
  createdShort: string;
  decidable: boolean;
  timers: RequestTimersView;
  history: { at: string; actor: string; kind: string; text: string | null }[];
}

/**
 * A request's timers (migrations/0009, jobs/expiry): they run only while it is before the
 * moderators with no decision (state moderation), which is also what `status` counts as waiting.
 */
export interface RequestTimersView {
  /** State moderation: waiting for a moderator's decision, the timers running. */
  waiting: boolean;
  /** Waiting longer than policy.requestReminderDays, and than policy.requestEscalationDays (status's pastReminder / pastEscalation). */
  pastReminder: boolean;
  pastEscalation: boolean;
  /** Readable: when the moderators were reminded, or when they will be. */
  reminded: string;
  /** When it was escalated to list.escalation, when it will be, or why it never will be. */
  escalated: string;
  /** When the applicant was told the request is still open, or ''. */
  applicantTold: string;
}

export interface RequestTimerSettings {
  reminderDays: number;
  escalationDays: number;
}

function timerSettings(ctx: Context): RequestTimerSettings {
  return {
    reminderDays: ctx.config.policy.requestReminderDays,
    escalationDays: ctx.config.policy.requestEscalationDays,
  };
}

/** The cutoff `status` (store/status collectStatus) compares created_at with: `days` before now, ISO 8601 UTC. */
function daysAgo(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

function requestTimers(ctx: Context, row: RequestRow, now: Date, t: RequestTimerSettings): RequestTimersView {
  const waiting = row.state === 'moderation';
  // What happened just now is "0 min ago", not relative()'s "in 0 min".
  const at = (iso: string) =>
    `${shortTime(iso)} (${Date.parse(iso) <= now.getTime() ? `${duration(now.getTime() - Date.parse(iso))} ago` : relative(iso, now)})`;
  // Due times as jobs/expiry sees them: created_at plus the days.
  const due = (days: number) => new Date(Date.parse(row.created_at) + days * 86_400_000).toISOString();
  const pending = (iso: string, to = '') =>
    Date.parse(iso) > now.getTime()
      ? `not yet, due ${at(iso)}${to && `, to ${to}`}`
      : `due since ${at(iso)}, sent${to && ` to ${to}`} at the next expiry run`;
  const escalation = ctx.config.list.escalation;
  return {
    waiting,
    // The same comparison as status's SQL (created_at <= cutoff), so the marks add up to its counts.
    pastReminder: waiting && row.created_at <= daysAgo(now, t.reminderDays),
    pastEscalation: waiting && row.created_at <= daysAgo(now, t.escalationDays),
    reminded: row.reminded_at ? at(row.reminded_at) : waiting ? pending(due(t.reminderDays)) : 'no',
    escalated: row.escalated_at
      ? at(row.escalated_at)
      : !escalation
        ? 'never: list.escalation is not set'
        : waiting
          ? pending(due(t.escalationDays), escalation)
          : 'no',
    applicantTold: row.applicant_told_at ? at(row.applicant_told_at) : '',
  };
}

/** Requests before the moderators or the applicant, oldest first (the longest wait on top). */
export function pendingRequests(ctx: Context, now: Date): PendingRequest[] {
  const t = timerSettings(ctx);
  return listRequests(ctx.db, { open: true })
    .reverse()
    .map((row) => ({
      ...viewRequest(row, ctx.config.policy, pendingOfMailbox(ctx.db, row.applicant, sameMailbox, row.id)),
      waited: duration(now.getTime() - Date.parse(row.created_at)),
      createdShort: shortTime(row.created_at),
      decidable: row.state === 'moderation' || row.state === 'asked',
      timers: requestTimers(ctx, row, now, t),
      history: eventsOf(ctx.db, row.id).map((e) => ({
        at: shortTime(e.at),
        actor: e.actor,
        kind: e.kind,
        text: e.text,
      })),
    }));
}

export interface RequestsSummary extends RequestTimerSettings {
  /** Open requests: before the moderators, the applicant or the alias's confirmation. */
  open: number;
  /** Before the moderators with no decision, and of those past each threshold: status's numbers. */
  waiting: number;
  pastReminder: number;
  pastEscalation: number;
  /** The oldest waiting request: when it came, how long it has waited, its number when it is on the page. */
  oldest: { since: string; waited: string; id: number | null } | null;
}

/**
 * The summary line of the requests page: the numbers of the `status` command and /metrics
 * (store/status collectStatus), not counted a second time here.
 */
export function requestsSummary(ctx: Context, now: Date, shown: readonly PendingRequest[] = []): RequestsSummary {
  const t = timerSettings(ctx);
  const { requests } = collectStatus(ctx.db, now, { requestTimers: t });
  const since = requests.oldestWaitingSince;
  return {
    ...t,
    open: requests.open,
    waiting: requests.waiting,
    pastReminder: requests.pastReminder,
    pastEscalation: requests.pastEscalation,
    oldest:
      since === null
        ? null
        : {
            since: shortTime(since),
            waited: duration(now.getTime() - Date.parse(since)),
            id: shown.find((r) => r.timers.waiting && r.createdAt === since)?.id ?? null,
          },
  };
}

export interface TimelineEntry {
  at: string;
  what: string;
  future: boolean;
}

export interface DisclosureView {
  id: number;
  subject: string;
  state: string;
  embargoed: boolean;
  openedBy: string;
  embargoEnd: string;
  countdown: string;
  acked: number;
  members: number;
  timeline: TimelineEntry[];
}

function timeline(db: Db, d: DisclosureRow, now: Date): TimelineEntry[] {
  const entries: { iso: string; what: string }[] = [{ iso: d.opened_at, what: `opened by ${d.opened_by}` }];
  const audited = cached(db, "SELECT * FROM audit WHERE object = ? AND action != 'disclosure.open' ORDER BY id").all(
    `disclosure:${d.id}`,
  ) as AuditRow[];
  for (const a of audited) entries.push({ iso: a.at, what: `${a.action} by ${a.actor}` });
  if (d.ack_reminder_at) entries.push({ iso: d.ack_reminder_at, what: 'members reminded to acknowledge' });
  if (d.lift_reminder_at)
    entries.push({ iso: d.lift_reminder_at, what: 'members reminded that the embargo ends soon' });
  if (d.lifted_at && !audited.some((a) => a.action === 'disclosure.lift'))
    entries.push({ iso: d.lifted_at, what: `lifted by ${d.lifted_by ?? 'unknown'}` });
  if (d.state === 'embargoed' && d.embargo_end) entries.push({ iso: d.embargo_end, what: 'embargo ends (lift)' });
  return entries
    .sort((a, b) => a.iso.localeCompare(b.iso))
    .map((e) => ({ at: shortTime(e.iso), what: e.what, future: Date.parse(e.iso) > now.getTime() }));
}

export function disclosureViews(ctx: Context, now: Date): DisclosureView[] {
  return listDisclosures(ctx.db).map((d) => {
    const receipts = receiptsOf(ctx.db, d.id);
    return {
      id: d.id,
      subject: d.subject,
      state: d.state,
      embargoed: d.state === 'embargoed',
      openedBy: d.opened_by,
      embargoEnd: d.embargo_end ? shortTime(d.embargo_end) : 'none set',
      countdown:
        d.state !== 'embargoed'
          ? `lifted ${d.lifted_at ? relative(d.lifted_at, now) : ''}`.trim()
          : d.embargo_end
            ? Date.parse(d.embargo_end) > now.getTime()
              ? `ends ${relative(d.embargo_end, now)}`
              : `ended ${relative(d.embargo_end, now)}, lift pending`
            : 'no end date',
      acked: receipts.filter((r) => r.acked_at !== null).length,
      members: receipts.length,
      timeline: timeline(ctx.db, d, now),
    };
  });
}

export interface AckMatrix {
  disclosures: { id: number; subject: string }[];
  rows: { member: string; organization: string; cells: { mark: string; title: string; missing: boolean }[] }[];
}

/** Active members x embargoed disclosures: who has acknowledged what. */
export function ackMatrix(ctx: Context): AckMatrix {
  const open = listDisclosures(ctx.db).filter((d) => d.state === 'embargoed');
  const receipts = new Map(
    open.map((d) => [d.id, new Map(receiptsOf(ctx.db, d.id).map((r) => [r.member.toLowerCase(), r]))]),
  );
  return {
    disclosures: open.map((d) => ({ id: d.id, subject: d.subject })),
    rows: activeMembers(ctx.db).map((m) => ({
      member: m.address,
      organization: m.organization,
      cells: open.map((d) => {
        const r = receipts.get(d.id)?.get(m.address.toLowerCase());
        if (!r) return { mark: '-', title: `not sent #${d.id} (joined later)`, missing: false };
        if (r.acked_at) return { mark: 'ACK', title: `#${d.id} acknowledged ${shortTime(r.acked_at)}`, missing: false };
        return { mark: 'no', title: `#${d.id} not acknowledged`, missing: true };
      }),
    })),
  };
}

export interface HeldView {
  id: number;
  sender: string;
  subject: string;
  reasons: string[];
  heldAt: string;
  expires: string;
  relayable: boolean;
  text: string;
  truncated: boolean;
  attachments: string[];
}

/**
 * Held messages with their text as plain text: the text/plain part, else what a reader sees of
 * the HTML (message/visible-text.ts), never the sender's HTML. The template escapes it.
 */
export async function heldViews(ctx: Context, now: Date): Promise<HeldView[]> {
  const out: HeldView[] = [];
  for (const h of listHeld(ctx.db)) {
    // A post that came encrypted to the list's key is shown as the list read it (its plaintext).
    const row = getInbound(ctx.db, h.inbound_id);
    const raw = row ? relayableRaw(row) : undefined;
    let text = '(the message could not be read)';
    let attachments: string[] = [];
    if (raw) {
      try {
        const msg = await parseMessage(raw);
        text = msg.text;
        attachments = msg.attachments.map((a) => `${a.filename || '(no name)'} (${a.contentType}, ${a.size} bytes)`);
      } catch {
        text = '(the message could not be parsed; "embargo-list held show --body" prints it raw)';
      }
    }
    out.push({
      id: h.inbound_id,
      sender: h.sender,
      subject: h.subject,
      reasons: JSON.parse(h.reasons) as string[],
      heldAt: `${shortTime(h.held_at)} (${relative(h.held_at, now)})`,
      expires: `${shortTime(h.expires_at)} (${relative(h.expires_at, now)})`,
      relayable: h.relayable === 1,
      text: text.slice(0, HELD_TEXT_LIMIT),
      truncated: text.length > HELD_TEXT_LIMIT,
      attachments,
    });
  }
  return out;
}

export function memberViews(ctx: Context, now: Date) {
  return allMembers(ctx.db).map((m) => ({
    address: m.address,
    organization: m.organization,
    status: m.status,
    active: m.status === 'active',
    joined: shortTime(m.added_at),
    lastProbeAnswer: m.probe_answered_at
      ? `${shortTime(m.probe_answered_at)} (${relative(m.probe_answered_at, now)})`
      : 'never',
    bounceScore: m.bounce_score,
    unreachable: m.unreachable_at !== null,
  }));
}

export function leakViews(ctx: Context, now: Date) {
  return listLeaks(ctx.db).map((l) => ({
    id: l.id,
    disclosureId: l.disclosure_id,
    reporter: l.reporter,
    leaker: l.leaker ?? (leakCandidates(l).length > 0 ? `one of ${leakCandidates(l).join(', ')}` : 'not attributed'),
    attribution: l.attribution,
    what: l.what ?? '',
    toWhom: l.to_whom ?? '',
    reported: shortTime(l.reported_at),
    retroOpen: l.retro_closed_at === null,
    retroDue: `${shortTime(l.retro_due)} (${relative(l.retro_due, now)})`,
    retroClosed: l.retro_closed_at ? `${shortTime(l.retro_closed_at)} by ${l.retro_closed_by ?? ''}` : '',
    retroSummary: l.retro_summary ?? '',
  }));
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
}

export const AUDIT_PAGE = 200;

/** The audit log, newest first; actor and action match a part of the value, case-insensitively. */
export function auditRows(ctx: Context, f: AuditFilter) {
  const where: string[] = [];
  const args: string[] = [];
  if (f.actor) {
    where.push("actor LIKE ? ESCAPE '\\'");
    args.push(`%${likeEscape(f.actor)}%`);
  }
  if (f.action) {
    where.push("action LIKE ? ESCAPE '\\'");
    args.push(`%${likeEscape(f.action)}%`);
  }
  if (f.from && /^\d{4}-\d{2}-\d{2}$/.test(f.from)) {
    where.push('at >= ?');
    args.push(`${f.from}T00:00:00.000Z`);
  }
  if (f.to && /^\d{4}-\d{2}-\d{2}$/.test(f.to)) {
    where.push('at <= ?');
    args.push(`${f.to}T23:59:59.999Z`);
  }
  const rows =
    where.length === 0
      ? listAudit(ctx.db, AUDIT_PAGE)
      : (ctx.db
          .prepare(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${AUDIT_PAGE}`)
          .all(...args) as AuditRow[]);
  return rows.map((r) => ({
    id: r.id,
    at: shortTime(r.at),
    actor: r.actor,
    action: r.action,
    object: r.object ?? '',
    detail: r.detail ?? '',
  }));
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * embargo-list status: the daemon's numbers (store/status) as a readable block for the command line.
 */
import type { Status } from '../store/status';

export { collectStatus, type Status } from '../store/status';

/** A readable block for the command line. */
export function formatStatus(s: Status): string {
  const ago = (iso: string | null): string => (iso === null ? '' : ` (${relative(iso, s.at)})`);
  const lines = [
    `embargo-list status at ${s.at}`,
    `  inbound      ${s.inbound.received} received, ${s.inbound.processed} processed, ${s.inbound.quarantined} quarantined`,
    `  outbox       ${s.outbox.pending} pending, ${s.outbox.sending} sending, ${s.outbox.sent} sent, ${s.outbox.failed} failed`,
    ...(s.outbox.oldestPendingAt === null
      ? []
      : [`               oldest pending since ${s.outbox.oldestPendingAt}${ago(s.outbox.oldestPendingAt)}`]),
    `  requests     ${s.requests.open} open`,
    ...(s.requests.waiting === 0
      ? []
      : [
          `               ${s.requests.waiting} waiting for a decision, oldest since ${s.requests.oldestWaitingSince}${ago(s.requests.oldestWaitingSince)}; ${s.requests.pastReminder} past the reminder, ${s.requests.pastEscalation} past the escalation`,
        ]),
    `  disclosures  ${s.disclosures.embargoed} under embargo${s.disclosures.nextEmbargoEnd === null ? '' : `, next end ${s.disclosures.nextEmbargoEnd}${embargoEnd(s.disclosures.nextEmbargoEnd, s.at)}`}`,
    `  leaks        ${s.leaks.openRetrospectives} open retrospective${s.leaks.openRetrospectives === 1 ? '' : 's'}`,
    `  held         ${s.held.waiting} waiting for a moderator`,
    `  members      ${s.members.active} active${s.members.unreachable ? `, ${s.members.unreachable} unreachable (bouncing)` : ''}`,
    `  imap         ${s.lastImapContact === null ? 'no contact recorded' : `last contact ${s.lastImapContact}${ago(s.lastImapContact)}`}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** An embargo end already past has a lift that is overdue: the embargo clock has not run. */
function embargoEnd(iso: string, nowIso: string): string {
  return Date.parse(iso) <= Date.parse(nowIso)
    ? ` (passed ${relative(iso, nowIso)}: lift overdue)`
    : ` (${relative(iso, nowIso)})`;
}

/** "3 min ago" or "in 2 h": whole units, rounded down. */
function relative(iso: string, nowIso: string): string {
  const ms = Date.parse(nowIso) - Date.parse(iso);
  if (Number.isNaN(ms)) return 'unknown';
  const abs = Math.abs(ms);
  const unit =
    abs < 60_000
      ? `${Math.floor(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.floor(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.floor(abs / 3_600_000)} h`
          : `${Math.floor(abs / 86_400_000)} d`;
  return ms >= 0 ? `${unit} ago` : `in ${unit}`;
}

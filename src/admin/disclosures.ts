/** embargo-list disclosures list|show|returned|embargo|lift|send|retro and leaks list|show N: what the clocks and receipts know; a leak names its reporter and its leaker apart. */
import type { Command } from 'commander';
import type { Context } from '../context';
import { AppError } from '../errors';
import { formatUtc } from '../policy/embargo-date';
import { deliveryOf, getDisclosure, listDisclosures, receiptsOf, type DisclosureRow } from '../store/disclosures';
import { getLeak, leakCandidates, listLeaks, type LeakRow } from '../store/leaks';
import { returnedPosts } from '../store/tokens';
import type { HeldOpening } from '../actions/open-disclosure';
import { nowIso } from '../context';
import { withContext } from './with-context';
import { actFromCli, objectNumber } from './moderator-action';

const when = (iso: string | null): string => (iso ? formatUtc(new Date(iso)) : '-');

function number(id: string, what: string): number {
  if (!/^#?\d+$/.test(id)) throw new AppError('INPUT_UNREADABLE', `"${id}" is not a ${what} number`);
  return Number(id.replace('#', ''));
}

function disclosureJson(d: DisclosureRow) {
  return {
    id: d.id,
    subject: d.subject,
    state: d.state,
    embargoEnd: d.embargo_end,
    upstream: d.upstream === 1,
    openedBy: d.opened_by,
    openedAt: d.opened_at,
    liftedAt: d.lifted_at,
    liftedBy: d.lifted_by,
    openingMessageId: d.opening_message_id,
  };
}

function leakJson(l: LeakRow) {
  return {
    id: l.id,
    disclosure: l.disclosure_id,
    reporter: l.reporter,
    reporterOrganization: l.reporter_organization,
    leaker: l.leaker,
    leakerOrganization: l.leaker_organization,
    attribution: l.attribution,
    leakerNamed: l.leaker_named,
    leakerCandidates: leakCandidates(l),
    what: l.what,
    toWhom: l.to_whom,
    reportedAt: l.reported_at,
    retrospective: {
      due: l.retro_due,
      closedAt: l.retro_closed_at,
      closedBy: l.retro_closed_by,
      summary: l.retro_summary,
    },
    removalProposedAt: l.removal_proposed_at,
    text: l.text,
  };
}

/** Who leaked, in a few words: the alias, or why there is none. */
function leakerText(l: LeakRow): string {
  switch (l.attribution) {
    case 'self':
      return `${l.leaker} (${l.leaker_organization}), the reporter's own leak`;
    case 'named':
      return `${l.leaker} (${l.leaker_organization}), named by the reporter; not counted toward removal`;
    case 'ambiguous':
      return `not attributed: "${l.leaker_named}" matches ${leakCandidates(l).join(', ')}`;
    case 'unknown':
      return `not attributed: "${l.leaker_named}" is no member`;
    case 'unattributed':
      return `not attributed: recorded for organization "${l.reporter_organization}" before leaks were counted per member, by an address that is no member`;
  }
}

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};

export function registerDisclosures(program: Command, open: () => Context): void {
  const disclosures = program.command('disclosures').description('disclosure threads: embargo ends, receipts');
  disclosures
    .command('list')
    .description('list disclosure threads, newest first')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withContext(open, (ctx) => {
        const rows = listDisclosures(ctx.db);
        if (opts.json) return out(JSON.stringify(rows.map(disclosureJson), null, 2));
        for (const d of rows) out(`#${d.id}\t${d.state}\tuntil ${when(d.embargo_end)}\t${d.subject}`);
        out(`${rows.length} disclosure${rows.length === 1 ? '' : 's'}`);
      }),
    );
  disclosures
    .command('show')
    .description('one thread: per member, delivered / acknowledged / bounced')
    .argument('<n>', 'the thread number')
    .option('--json', 'print JSON')
    .action((n: string, opts: { json?: boolean }) =>
      withContext(open, (ctx) => {
        const d = getDisclosure(ctx.db, number(n, 'disclosure'));
        if (!d)
          throw new AppError(
            'INPUT_UNREADABLE',
            `there is no disclosure ${n}; "embargo-list disclosures list" lists them`,
          );
        const delivery = deliveryOf(ctx.db, d);
        const members = receiptsOf(ctx.db, d.id).map((r) => {
          const status = delivery.get(r.member.toLowerCase());
          return {
            member: r.member,
            organization: r.organization,
            delivery:
              status === 'sent' ? 'delivered' : status === 'failed' ? 'bounced' : status ? 'pending' : 'not sent',
            acknowledged: r.acked_at,
            reminded: r.reminded_at,
          };
        });
        if (opts.json) return out(JSON.stringify({ ...disclosureJson(d), members }, null, 2));
        out(
          [
            `Disclosure #${d.id} (${d.state}${d.upstream ? ', upstream notice' : ''}): ${d.subject}`,
            `  Opened:  ${when(d.opened_at)} by ${d.opened_by}`,
            `  Embargo: ${d.embargo_end ? `until ${when(d.embargo_end)}` : 'no end set (until LIFT)'}${d.lifted_at ? `; lifted ${when(d.lifted_at)} by ${d.lifted_by}` : ''}`,
            '',
            'Member\tOrganization\tDelivery\tAcknowledged',
            ...members.map(
              (m) => `${m.member}\t${m.organization}\t${m.delivery}\t${m.acknowledged ? when(m.acknowledged) : 'no'}`,
            ),
            `${members.filter((m) => m.acknowledged).length} of ${members.length} acknowledged`,
          ].join('\n'),
        );
      }),
    );

  disclosures
    .command('returned')
    .description('moderators\' posts returned for want of a usable embargo end, that "disclosures send" can still open')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withContext(open, (ctx) => {
        const rows = returnedPosts(ctx.db, nowIso(ctx)).map((t) => {
          const held = JSON.parse(t.detail!) as HeldOpening;
          return {
            id: held.inboundId,
            subject: held.subject,
            from: held.openedBy,
            problem: held.problem,
            end: held.end,
            returnedAt: t.created_at,
            expiresAt: t.expires_at,
          };
        });
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        for (const r of rows) out(`${r.id}\t${r.problem}\t${r.from}\t${r.subject}\texpires ${when(r.expiresAt)}`);
        out(`${rows.length} returned post${rows.length === 1 ? '' : 's'}`);
      }),
    );
  // The keywords EMBARGO, LIFT, SEND and RETRO, run by the same code as by mail.
  disclosures
    .command('embargo')
    .description('move the embargo end of a thread (as EMBARGO <end> by mail; the members are told)')
    .argument('<n>', 'the thread number')
    .argument('[end...]', 'the new end, read as by mail, e.g. "2026-05-01 14:00 UTC"')
    .action((n: string, end: string[]) =>
      actFromCli(open, {
        kind: 'disclosure',
        verb: 'embargo',
        disclosureId: number(n, 'disclosure'),
        text: end.join(' ') || null,
      }),
    );
  disclosures
    .command('lift')
    .description('end the embargo of a thread now (as LIFT by mail)')
    .argument('<n>', 'the thread number')
    .action((n: string) =>
      actFromCli(open, { kind: 'disclosure', verb: 'lift', disclosureId: number(n, 'disclosure'), text: null }),
    );
  disclosures
    .command('send')
    .description('open a thread from a returned post: as it is (SEND), or with the end given (EMBARGO <end>)')
    .argument('<n>', 'the returned post\'s number ("disclosures returned")')
    .argument('[end...]', 'the embargo end, read as by mail')
    .action((n: string, end: string[]) =>
      actFromCli(open, {
        kind: 'disclosure',
        verb: 'send',
        disclosureId: objectNumber(n, 'returned post', 'disclosures returned'),
        text: end.join(' ') || null,
      }),
    );
  disclosures
    .command('retro')
    .description('close the retrospective of a leak with its summary (as RETRO <summary> by mail)')
    .argument('<leak>', 'the leak number ("leaks list")')
    .argument('[summary...]', 'the summary, sent to the moderators and the reporter')
    .action((n: string, summary: string[]) =>
      actFromCli(open, {
        kind: 'disclosure',
        verb: 'retro',
        disclosureId: objectNumber(n, 'leak', 'leaks list'),
        text: summary.join(' ') || null,
      }),
    );

  const leaks = program.command('leaks').description('leak reports and their retrospectives');
  leaks
    .command('list')
    .description('list leak reports, newest first')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withContext(open, (ctx) => {
        const rows = listLeaks(ctx.db);
        if (opts.json) return out(JSON.stringify(rows.map(leakJson), null, 2));
        for (const l of rows)
          out(
            `#${l.id}\tdisclosure #${l.disclosure_id}\treported by ${l.reporter}\tleaked by ${leakerText(l)}\t${when(l.reported_at)}\tretro ${l.retro_closed_at ? 'closed' : `due ${when(l.retro_due)}`}`,
          );
        out(`${rows.length} leak${rows.length === 1 ? '' : 's'}`);
      }),
    );
  leaks
    .command('show')
    .description('one leak report and its retrospective')
    .argument('<n>', 'the leak number')
    .option('--json', 'print JSON')
    .action((n: string, opts: { json?: boolean }) =>
      withContext(open, (ctx) => {
        const l = getLeak(ctx.db, number(n, 'leak'));
        if (!l) throw new AppError('INPUT_UNREADABLE', `there is no leak ${n}; "embargo-list leaks list" lists them`);
        if (opts.json) return out(JSON.stringify(leakJson(l), null, 2));
        out(
          [
            `Leak #${l.id} on disclosure #${l.disclosure_id}, reported ${when(l.reported_at)}`,
            `  Reported by: ${l.reporter} (${l.reporter_organization}), in thread #${l.disclosure_id}`,
            `  Leaked by:   ${leakerText(l)}`,
            `  What:    ${l.what ?? '(not said)'}`,
            `  To whom: ${l.to_whom ?? '(not said)'}`,
            `  Retrospective: ${l.retro_closed_at ? `closed ${when(l.retro_closed_at)} by ${l.retro_closed_by}: ${l.retro_summary}` : `open, due ${when(l.retro_due)}`}`,
            ...(l.removal_proposed_at ? [`  Removal proposed: ${when(l.removal_proposed_at)}`] : []),
            '',
            l.text,
          ].join('\n'),
        );
      }),
    );
}

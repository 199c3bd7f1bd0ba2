/** embargo-list requests list|show|approve|reject|ask: join requests, where each one stands, and deciding them on the server. */
import type { Command } from 'commander';
import type { Context } from '../context';
import { withContext } from './with-context';
import { actFromCli, objectNumber } from './moderator-action';
import { AppError } from '../errors';
import { viewRequest } from '../policy/request-view';
import { eventsOf, getRequest, listRequests } from '../store/requests';

export function registerRequests(program: Command, open: () => Context): void {
  const requests = program.command('requests').description('join requests and their state');

  requests
    .command('list')
    .description('list join requests, newest first (open ones only unless --all)')
    .option('--all', 'include closed requests')
    .option('--json', 'print JSON')
    .action((opts: { all?: boolean; json?: boolean }) =>
      withContext(open, (ctx) => {
        const rows = listRequests(ctx.db, { open: !opts.all });
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              rows.map((r) => ({
                id: r.id,
                state: r.state,
                organization: r.organization,
                alias: r.alias,
                applicant: r.applicant,
                createdAt: r.created_at,
                decidedBy: r.decided_by,
              })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        for (const r of rows)
          process.stdout.write(
            `#${r.id}\t${r.state}\t${r.organization ?? '-'}\t${r.alias ?? '-'}\t${r.applicant}\t${r.created_at}\n`,
          );
        process.stdout.write(`${rows.length} request${rows.length === 1 ? '' : 's'}\n`);
      }),
    );

  requests
    .command('show')
    .description('show one request: answers, findings, and its history')
    .argument('<id>', 'the request number')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      withContext(open, (ctx) => {
        const row = /^#?\d+$/.test(id) ? getRequest(ctx.db, Number(id.replace('#', ''))) : undefined;
        if (!row)
          throw new AppError(
            'REQUEST_NOT_FOUND',
            `there is no request ${id}; "embargo-list requests list --all" lists them`,
          );
        const view = viewRequest(row, ctx.config.policy);
        const events = eventsOf(ctx.db, row.id).map((e) => ({ at: e.at, actor: e.actor, kind: e.kind, text: e.text }));
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ ...view, decidedBy: row.decided_by, decidedAt: row.decided_at, reason: row.reason, events }, null, 2)}\n`,
          );
          return;
        }
        const out = [
          `Request #${view.id} (${view.state})`,
          `  Organization: ${view.organization}`,
          `  Alias:        ${view.alias}`,
          `  Applicant:    ${view.applicant}`,
          `  Received:     ${view.createdAt}`,
          ...(row.decided_by
            ? [`  Decided:      ${row.decided_at} by ${row.decided_by}${row.reason ? `: ${row.reason}` : ''}`]
            : []),
          '',
          ...view.criteria.flatMap((c) => [`${c.n}. ${c.text}`, ...c.answer.split('\n').map((l) => `    ${l}`), '']),
          'Findings:',
          ...(view.findings.length
            ? view.findings.map((f) => `  [${f.code}] (${f.severity}) ${f.message}`)
            : ['  none']),
          `  embargo policy accepted: ${view.acceptsEmbargo ? 'yes' : 'no'}`,
          '',
          'History:',
          ...events.map((e) => `  ${e.at} ${e.actor} ${e.kind}${e.text ? `: ${e.text.split('\n')[0]}` : ''}`),
        ];
        process.stdout.write(`${out.join('\n')}\n`);
      }),
    );

  // The keywords APPROVE, REJECT <reason> and ASK <question>, run by the same code as by mail.
  const verbs = [
    ['approve', 'approve a request: its alias is asked to confirm (as APPROVE by mail)', null],
    ['reject', 'reject a request and tell the applicant why (as REJECT <reason> by mail)', '[reason...]'],
    ['ask', 'send the applicant a question (as ASK <question> by mail)', '[question...]'],
  ] as const;
  for (const [verb, description, text] of verbs) {
    const cmd = requests.command(verb).description(description).argument('<id>', 'the request number');
    if (text) cmd.argument(text, verb === 'ask' ? 'the question' : 'the reason sent to the applicant');
    cmd.action((id: string, words: string[] | Record<string, unknown>) =>
      actFromCli(open, {
        kind: 'request',
        verb,
        requestId: objectNumber(id, 'request', 'requests list'),
        text: Array.isArray(words) && words.length ? words.join(' ') : null,
      }),
    );
  }
}

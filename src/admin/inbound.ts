/**
 * embargo-list inbound list|retry: messages that came in and were not handled, on the server.
 *
 * `retry` puts a quarantined message back to `received`, its crash count at zero; the running
 * daemon handles it within a few seconds (runners/pipeline.ts RetryRunner), or the next one at
 * its start, from the bytes kept in the database, as if it had just arrived. Audited as
 * `inbound.retry` by cli:<unix user>.
 */
import type { Command } from 'commander';
import { nowIso, type Context } from '../context';
import { AppError } from '../errors';
import { RETRY_POLL_MS } from '../runners/pipeline';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { getInbound, listInbound, requeueQuarantined, type InboundListRow } from '../store/inbound';
import { cliActor } from './moderator-action';
import { withContext } from './with-context';

function idOf(id: string): number {
  if (!/^\d+$/.test(id))
    throw new AppError(
      'INPUT_UNREADABLE',
      `"${id}" is not an inbound message number; "embargo-list inbound list --quarantined" shows them`,
    );
  return Number(id);
}

function json(r: InboundListRow) {
  return {
    id: r.id,
    status: r.status,
    receivedAt: r.received_at,
    quarantinedAt: r.status === 'quarantined' ? r.processed_at : null,
    code: r.error_code,
    reason: r.error_message,
    from: r.sender,
    subject: r.subject,
    messageId: r.message_id,
    size: r.size,
    crashes: r.crashes,
    retryRequestedAt: r.retry_requested_at,
    source: r.source_ref,
  };
}

/** Tab-separated: id, when (quarantined, else received), status or code, sender, subject, Message-ID. */
function line(r: InboundListRow, withStatus: boolean): string {
  const when = r.status === 'quarantined' ? (r.processed_at ?? r.received_at) : r.received_at;
  const what =
    r.status === 'quarantined'
      ? (r.error_code ?? '-')
      : r.retry_requested_at
        ? `retry requested ${r.retry_requested_at}`
        : 'not handled yet';
  return [
    r.id,
    when,
    ...(withStatus ? [r.status] : []),
    what,
    r.sender ?? '-',
    r.subject ?? '-',
    r.message_id ?? '-',
  ].join('\t');
}

export function registerInbound(program: Command, open: () => Context): void {
  const inbound = program
    .command('inbound')
    .description('messages that came in: the ones in quarantine, and running one again');
  inbound
    .command('list')
    .description('messages not handled, newest first: in quarantine, or waiting (--quarantined: in quarantine only)')
    .option('--quarantined', 'only the messages in quarantine')
    .option('--json', 'print JSON')
    .action((opts: { quarantined?: boolean; json?: boolean }) =>
      withContext(open, (ctx) => {
        const rows = listInbound(ctx.db, opts.quarantined ? ['quarantined'] : ['quarantined', 'received']);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows.map(json), null, 2)}\n`);
          return;
        }
        for (const r of rows) process.stdout.write(`${line(r, !opts.quarantined)}\n`);
        const quarantined = rows.filter((r) => r.status === 'quarantined').length;
        process.stdout.write(
          opts.quarantined
            ? `${quarantined} quarantined\n`
            : `${quarantined} quarantined, ${rows.length - quarantined} not handled yet\n`,
        );
      }),
    );
  inbound
    .command('retry')
    .description('put a quarantined message back: the daemon handles it again, as if it had just arrived')
    .argument('<id>', 'the inbound message number ("inbound list --quarantined")')
    .action((id: string) =>
      withContext(open, (ctx) => {
        const n = idOf(id);
        const actor = cliActor();
        const done = transaction(ctx.db, () => {
          const row = getInbound(ctx.db, n);
          if (!row)
            throw new AppError(
              'INBOUND_NOT_FOUND',
              `there is no inbound message ${n}; "embargo-list inbound list --quarantined" shows the quarantined ones`,
            );
          if (row.status !== 'quarantined')
            throw new AppError(
              'INBOUND_NOT_QUARANTINED',
              row.status === 'processed'
                ? `inbound message ${n} is not in quarantine: it was handled (${row.outcome}) at ${row.processed_at}; nothing to run again`
                : `inbound message ${n} is not in quarantine: it is waiting to be handled${row.retry_requested_at ? ` (retry requested ${row.retry_requested_at})` : ''}`,
            );
          requeueQuarantined(ctx.db, n, nowIso(ctx));
          appendAudit(ctx.db, {
            at: nowIso(ctx),
            actor: actor.name,
            action: 'inbound.retry',
            object: `inbound:${n}`,
            messageId: row.message_id,
            detail: {
              via: actor.via,
              code: row.error_code,
              reason: row.error_message,
              quarantinedAt: row.processed_at,
            },
          });
          return row;
        });
        process.stdout.write(
          `inbound message ${n} (${done.error_code}) put back: the running daemon handles it again within ${Math.ceil(RETRY_POLL_MS / 1000)} s, or the daemon at its next start\n`,
        );
      }),
    );
}

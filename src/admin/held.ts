/** embargo-list held list|show|approve|reject|discard: the moderation queue, on the server. */
import type { Command } from 'commander';
import type { Context } from '../context';
import { AppError } from '../errors';
import { getHeld, listHeld, type HeldRow } from '../store/held';
import { getInbound, relayableRaw } from '../store/inbound';
import { actFromCli } from './moderator-action';
import { withContext } from './with-context';

function idOf(id: string): number {
  if (!/^\d+$/.test(id))
    throw new AppError('INPUT_UNREADABLE', `"${id}" is not a held message number; "embargo-list held list" shows them`);
  return Number(id);
}

function json(h: HeldRow) {
  return {
    id: h.inbound_id,
    state: h.state,
    from: h.sender,
    subject: h.subject,
    messageId: h.message_id,
    reasons: JSON.parse(h.reasons) as string[],
    relayable: h.relayable === 1,
    heldAt: h.held_at,
    expiresAt: h.expires_at,
    decidedBy: h.decided_by,
    decidedAt: h.decided_at,
    reason: h.reason,
  };
}

export function registerHeld(program: Command, open: () => Context): void {
  const held = program.command('held').description('the moderation queue: messages waiting for a moderator');
  held
    .command('list')
    .description('held messages, newest first (waiting ones unless --all)')
    .option('--all', 'include decided ones')
    .option('--json', 'print JSON')
    .action((opts: { all?: boolean; json?: boolean }) =>
      withContext(open, (ctx) => {
        const rows = listHeld(ctx.db, opts.all);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows.map(json), null, 2)}\n`);
          return;
        }
        for (const h of rows)
          process.stdout.write(
            `${h.inbound_id}\t${h.state}\t${h.sender}\t${h.subject}\t${(JSON.parse(h.reasons) as string[])[0] ?? ''}\n`,
          );
        process.stdout.write(`${rows.length} held\n`);
      }),
    );
  held
    .command('show')
    .description('one held message: why, and its header (the body with --body)')
    .argument('<id>')
    .option('--body', 'also print the raw message')
    .option('--json', 'print JSON')
    .action((id: string, opts: { body?: boolean; json?: boolean }) =>
      withContext(open, (ctx) => {
        const h = getHeld(ctx.db, idOf(id));
        if (!h)
          throw new AppError(
            'HELD_NOT_FOUND',
            `there is no held message ${id}; "embargo-list held list --all" shows them`,
          );
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(json(h), null, 2)}\n`);
          return;
        }
        const lines = [
          `Held message ${h.inbound_id} (${h.state})`,
          `  From:    ${h.sender}`,
          `  Subject: ${h.subject}`,
          `  Held:    ${h.held_at}, expires ${h.expires_at}`,
          ...(h.decided_by ? [`  Decided: ${h.decided_at} by ${h.decided_by}${h.reason ? `: ${h.reason}` : ''}`] : []),
          'Why:',
          ...(JSON.parse(h.reasons) as string[]).map((r) => `  - ${r}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        if (opts.body) process.stdout.write(`\n${relayableRaw(getInbound(ctx.db, h.inbound_id)!).toString('utf8')}\n`);
      }),
    );
  // Decisions run the keyword's own code (admin/moderator-action), audited as cli:<unix user>.
  held
    .command('approve')
    .description('relay a held message to the members')
    .argument('<id>', 'the held message number ("held list")')
    .action((id: string) => actFromCli(open, { kind: 'held', verb: 'approve', heldId: idOf(id), text: null }));
  held
    .command('reject')
    .description('drop a held message and tell the sender why (as REJECT <reason> by mail)')
    .argument('<id>', 'the held message number ("held list")')
    .argument('[reason...]', 'sent to the sender; without one, "The moderators did not give a reason."')
    .option('--reason <text>', 'the reason, as an option')
    .action((id: string, words: string[], opts: { reason?: string }) =>
      actFromCli(open, {
        kind: 'held',
        verb: 'reject',
        heldId: idOf(id),
        text: opts.reason ?? (words.length ? words.join(' ') : null),
      }),
    );
  held
    .command('discard')
    .description('drop a held message silently')
    .argument('<id>', 'the held message number ("held list")')
    .action((id: string) => actFromCli(open, { kind: 'held', verb: 'discard', heldId: idOf(id), text: null }));
}

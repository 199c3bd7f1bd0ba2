/** embargo-list held list|show|approve|reject|discard: the moderation queue, on the server. */
import type { Command } from 'commander';
import type { Context } from '../context';
import { AppError } from '../errors';
import { approveHeld, discardHeld, rejectHeld, type HeldResult } from '../actions/held-decision';
import { transaction } from '../store/db';
import { getHeld, listHeld, type HeldRow } from '../store/held';
import { getInbound } from '../store/inbound';
import { deliverNow } from './deliver-now';
import { withContext, withContextAsync } from './with-context';

const operator = (): string => `operator:${process.env.SUDO_USER ?? process.env.USER ?? 'unknown'}`;

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
        if (!h) throw new AppError('INPUT_UNREADABLE', `there is no held message ${id}`);
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
        if (opts.body) process.stdout.write(`\n${getInbound(ctx.db, h.inbound_id)!.raw.toString('utf8')}\n`);
      }),
    );
  const decide = (
    name: string,
    description: string,
    act: (ctx: Context, id: number, reason?: string) => HeldResult,
    withReason = false,
  ) => {
    const cmd = held.command(name).description(description).argument('<id>');
    if (withReason) cmd.requiredOption('--reason <text>', 'sent to the sender');
    cmd.action(async (id: string, opts: { reason?: string }) =>
      withContextAsync(open, async (ctx) => {
        const r = transaction(ctx.db, () => act(ctx, idOf(id), opts.reason));
        if (!r.ok) throw new AppError('INPUT_UNREADABLE', r.why ?? 'not done');
        const done = { approve: 'approved', reject: 'rejected', discard: 'discarded' }[name] ?? name;
        process.stdout.write(`${done} held message ${id}${r.copies ? `: ${r.copies} copies queued` : ''}\n`);
        await deliverNow(ctx);
      }),
    );
  };
  decide('approve', 'relay a held message to the members', (ctx, id) => approveHeld(ctx, id, operator()));
  decide(
    'reject',
    'drop a held message and tell the sender why',
    (ctx, id, reason) => rejectHeld(ctx, id, operator(), reason!),
    true,
  );
  decide('discard', 'drop a held message silently', (ctx, id) => discardHeld(ctx, id, operator()));
}

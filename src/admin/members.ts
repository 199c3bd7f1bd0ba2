/** embargo-list members add|list|remove: the roster, kept by hand until join requests arrive. */
import type { Command } from 'commander';
import type { Context } from '../context';
import { nowIso } from '../context';
import { AppError } from '../errors';
import { isAddress, normalizeAddress } from '../message/address';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { allMembers, removeMember, upsertMember } from '../store/members';

function checkedAddress(address: string): string {
  if (!isAddress(address)) throw new AppError('MEMBER_INVALID_ADDRESS', `"${address}" is not an email address; expected something like security@example.com`);
  return normalizeAddress(address);
}

function operator(): string {
  return `operator:${process.env.SUDO_USER ?? process.env.USER ?? 'unknown'}`;
}

export function registerMembers(program: Command, open: () => Context): void {
  const members = program.command('members').description('list, add and remove members (organizations\' security aliases)');

  members.command('add')
    .description('add a member, or re-activate a removed one')
    .argument('<address>', 'the organization\'s security alias')
    .requiredOption('--org <name>', 'the organization')
    .action((address: string, opts: { org: string }) => {
      const addr = checkedAddress(address);
      const org = opts.org.trim();
      if (org === '') throw new AppError('MEMBER_INVALID_ADDRESS', '--org must name the organization');
      withContext(open, (ctx) => {
        const result = transaction(ctx.db, () => {
          const r = upsertMember(ctx.db, addr, org, nowIso(ctx));
          const action = { added: 'member.add', reactivated: 'member.reactivate', updated: 'member.update', unchanged: null }[r];
          if (action) appendAudit(ctx.db, { at: nowIso(ctx), actor: operator(), action, object: addr, detail: { organization: org } });
          return r;
        });
        const said = { added: 'added', reactivated: 'added again', updated: 'organization changed', unchanged: 'already a member' }[result];
        process.stdout.write(`${said}: ${addr} (${org})\n`);
      });
    });

  members.command('list')
    .description('list members')
    .option('--json', 'print JSON')
    .option('--all', 'include removed members')
    .action((opts: { json?: boolean; all?: boolean }) => {
      withContext(open, (ctx) => {
        const rows = allMembers(ctx.db).filter((m) => opts.all || m.status === 'active');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows.map((m) => ({ address: m.address, organization: m.organization, status: m.status, addedAt: m.added_at, removedAt: m.removed_at })), null, 2)}\n`);
          return;
        }
        for (const m of rows) process.stdout.write(`${m.address}\t${m.organization}\t${m.status}\t${m.added_at}\n`);
        process.stdout.write(`${rows.length} member${rows.length === 1 ? '' : 's'}\n`);
      });
    });

  members.command('remove')
    .description('remove a member: it gets no more mail from the list')
    .argument('<address>', 'the member\'s address')
    .action((address: string) => {
      const addr = checkedAddress(address);
      withContext(open, (ctx) => {
        const removed = transaction(ctx.db, () => {
          const r = removeMember(ctx.db, addr, nowIso(ctx));
          if (r) appendAudit(ctx.db, { at: nowIso(ctx), actor: operator(), action: 'member.remove', object: addr });
          return r;
        });
        if (!removed) throw new AppError('MEMBER_NOT_FOUND', `${addr} is not an active member`);
        process.stdout.write(`removed: ${addr}\n`);
      });
    });
}

function withContext(open: () => Context, fn: (ctx: Context) => void): void {
  const ctx = open();
  try {
    fn(ctx);
  } finally {
    ctx.db.close();
  }
}

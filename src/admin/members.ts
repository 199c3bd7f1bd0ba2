/** embargo-list members add|update|list|remove|import|export: the roster, kept by hand until join requests arrive. */
import type { Command } from 'commander';
import type { Context } from '../context';
import { withContext, withContextAsync } from './with-context';
import { nowIso } from '../context';
import { AppError } from '../errors';
import { isAddress, normalizeAddress } from '../message/address';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { allMembers, findMember, upsertMember } from '../store/members';
import { cliActor, moderatorAction } from './moderator-action';
import { deliverNow } from './deliver-now';
import { parseMembershipTable, renderMembershipTable } from './membership-table';
import fs from 'node:fs';
import path from 'node:path';

/** A command-line address, normalised, or MEMBER_INVALID_ADDRESS. */
export function checkedAddress(address: string): string {
  if (!isAddress(address))
    throw new AppError(
      'MEMBER_INVALID_ADDRESS',
      `"${address}" is not an email address; expected something like security@example.com`,
    );
  return normalizeAddress(address);
}

function checkedOrg(name: string): string {
  const org = name.trim();
  if (org === '') throw new AppError('MEMBER_INVALID_ADDRESS', '--org must name the organization');
  return org;
}

/** The audit actor of a change made here: the CLI's actor (moderator-action.ts cliActor). */
const operator = (): string => cliActor().name;

export function registerMembers(program: Command, open: () => Context): void {
  const members = program
    .command('members')
    .description("list, add and remove members (organizations' security aliases)");

  members
    .command('add')
    .description('add a member, or re-activate a removed one (an active member is changed with "members update")')
    .argument('<address>', "the organization's security alias")
    .requiredOption('--org <name>', 'the organization')
    .action((address: string, opts: { org: string }) => {
      const addr = checkedAddress(address);
      const org = checkedOrg(opts.org);
      withContext(open, (ctx) => {
        const result = transaction(ctx.db, () => {
          const existing = findMember(ctx.db, addr);
          if (existing?.status === 'active') {
            if (existing.organization === org) return 'unchanged' as const;
            throw new AppError(
              'MEMBER_EXISTS',
              `${addr} is already a member, of "${existing.organization}"; to change its organization: embargo-list members update ${addr} --org ${JSON.stringify(org)}`,
            );
          }
          const r = upsertMember(ctx.db, addr, org, nowIso(ctx));
          appendAudit(ctx.db, {
            at: nowIso(ctx),
            actor: operator(),
            action: r === 'reactivated' ? 'member.reactivate' : 'member.add',
            object: addr,
            detail: { organization: org },
          });
          return r;
        });
        const said = { added: 'added', reactivated: 'added again', updated: 'added', unchanged: 'already a member' }[
          result
        ];
        process.stdout.write(`${said}: ${addr} (${org})\n`);
      });
    });

  members
    .command('update')
    .description("change a member's organization")
    .argument('<address>', "the member's address")
    .requiredOption('--org <name>', 'the new organization')
    .action((address: string, opts: { org: string }) => {
      const addr = checkedAddress(address);
      const org = checkedOrg(opts.org);
      withContext(open, (ctx) => {
        const previous = transaction(ctx.db, () => {
          const existing = findMember(ctx.db, addr);
          if (!existing)
            throw new AppError('MEMBER_NOT_FOUND', `${addr} is not a member; add it with "embargo-list members add"`);
          if (existing.organization === org) return null;
          ctx.db.prepare('UPDATE members SET organization = ? WHERE id = ?').run(org, existing.id);
          appendAudit(ctx.db, {
            at: nowIso(ctx),
            actor: operator(),
            action: 'member.update',
            object: addr,
            detail: { organization: org, previous: existing.organization },
          });
          return existing.organization;
        });
        process.stdout.write(
          previous === null
            ? `unchanged: ${addr} (${org})\n`
            : `organization changed: ${addr} (${previous} -> ${org})\n`,
        );
      });
    });

  members
    .command('list')
    .description('list members')
    .option('--json', 'print JSON')
    .option('--all', 'include removed members')
    .action((opts: { json?: boolean; all?: boolean }) => {
      withContext(open, (ctx) => {
        const rows = allMembers(ctx.db).filter((m) => opts.all || m.status === 'active');
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              rows.map((m) => ({
                address: m.address,
                organization: m.organization,
                status: m.status,
                addedAt: m.added_at,
                removedAt: m.removed_at,
              })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        for (const m of rows) process.stdout.write(`${m.address}\t${m.organization}\t${m.status}\t${m.added_at}\n`);
        process.stdout.write(`${rows.length} member${rows.length === 1 ? '' : 's'}\n`);
      });
    });

  members
    .command('remove')
    .description('remove a member: it gets no more mail from the list, and is told so (with the reason)')
    .argument('<address>', "the member's address")
    .option('--reason <text>', 'why; sent to the alias and the moderators')
    .action(async (address: string, opts: { reason?: string }) => {
      const addr = checkedAddress(address);
      await withContextAsync(open, async (ctx) => {
        // The same path as REMOVE by mail and the console: moderatorAction's kind member.
        const outcome = moderatorAction(ctx, cliActor(), {
          kind: 'member',
          verb: 'remove',
          address: addr,
          text: opts.reason ?? null,
        });
        // A member removed before is "not an active member": MEMBER_NOT_FOUND here, as always.
        if (!outcome.ok) {
          if (outcome.code === 'MEMBER_NOT_FOUND' || outcome.code === 'MEMBER_NOT_ACTIVE')
            throw new AppError('MEMBER_NOT_FOUND', `${addr} is not an active member`);
          throw new AppError('NOT_DONE', outcome.message);
        }
        process.stdout.write(`removed: ${addr}\n`);
        await deliverNow(ctx);
      });
    });

  members
    .command('import')
    .description('add the members listed in a Markdown Membership table (| Email | Organization |)')
    .argument('<file>', 'a Markdown file, such as the policy document')
    .action((file: string) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          throw new AppError('INPUT_NOT_FOUND', `no such file: ${file}`);
        throw new AppError('INPUT_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`);
      }
      const { rows, skipped } = parseMembershipTable(text);
      if (rows.length === 0)
        throw new AppError('IMPORT_INVALID', `${file} has no table row of the form | address | organization |`);
      withContext(open, (ctx) => {
        const counts = transaction(ctx.db, () => {
          const c: Record<string, number> = { added: 0, reactivated: 0, updated: 0, unchanged: 0 };
          for (const row of rows) {
            const r = upsertMember(ctx.db, row.address, row.organization, nowIso(ctx));
            c[r] = (c[r] ?? 0) + 1;
            if (r !== 'unchanged')
              appendAudit(ctx.db, {
                at: nowIso(ctx),
                actor: operator(),
                action: `member.import.${r}`,
                object: row.address,
                detail: { organization: row.organization, file: path.basename(file) },
              });
          }
          return c;
        });
        const listed = new Set(rows.map((r) => r.address));
        const notListed = allMembers(ctx.db).filter((m) => m.status === 'active' && !listed.has(m.address));
        process.stdout.write(
          `imported ${rows.length} rows: ${Object.entries(counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}\n`,
        );
        for (const s of skipped) process.stdout.write(`skipped (not | address | organization |): ${s}\n`);
        for (const m of notListed)
          process.stdout.write(`active but not in ${path.basename(file)}: ${m.address} (${m.organization})\n`);
      });
    });

  members
    .command('export')
    .description("print the active members as the policy document's Markdown Membership table")
    .option('--markdown', 'Markdown table (the default and only format)')
    .action(() =>
      withContext(open, (ctx) => {
        const rows = allMembers(ctx.db)
          .filter((m) => m.status === 'active')
          .map((m) => ({ address: m.address, organization: m.organization }));
        process.stdout.write(renderMembershipTable(rows));
      }),
    );
}

/**
 * OpenPGP keys from the command line:
 *   embargo-list members key add ADDRESS FILE|-   members key show|remove ADDRESS
 *   embargo-list moderators key add ADDRESS FILE|-   moderators key show|remove ADDRESS
 *   embargo-list key export | show | import FILE [--replace] [--passphrase-file F]   (the list's own key)
 * A person's key is refused when it is not one public key, or cannot be encrypted to now; a user
 * ID that does not name the address only warns (stderr), the key is added.
 */
import fs from 'node:fs';
import { checkedAddress } from './members';
import { cliActor } from './moderator-action';
import type { Command } from 'commander';
import type { Context } from '../context';
import { nowIso } from '../context';
import { AppError } from '../errors';
import { normalizeAddress } from '../message/address';
import {
  formatFingerprint,
  keyState,
  MAX_KEY_BYTES,
  readPublicKey,
  unusableError,
  userIdMatches,
} from '../openpgp/keys';
import { checkImportedListKey, listKeyFile, loadListKey, writeListKey } from '../openpgp/list-key';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { deleteKey, findKey, putKey, userIdsOf, type KeyOwner, type KeyRow } from '../store/keys';
import { findMember } from '../store/members';
import { withContext, withContextAsync } from './with-context';

export interface KeysIo {
  /** Standard input, for "-"; tests hand their own. */
  stdin: () => AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: KeysIo = {
  stdin: () => process.stdin,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** The audit actor of a change made here: the CLI's, as for every command (moderator-action.ts cliActor). */
const operator = (): string => cliActor().name;

/** At most `cap` + 1 bytes of a file (or of standard input for "-"): enough to know it is too large. */
export async function readCapped(file: string, cap: number, io: Pick<KeysIo, 'stdin'>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (file === '-') {
    for await (const chunk of io.stdin()) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(b);
      total += b.length;
      if (total > cap) break;
    }
    return Buffer.concat(chunks);
  }
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(
      code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE',
      `${file} cannot be read: ${(err as Error).message}`,
    );
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total > cap) break;
    }
  } catch (err) {
    throw new AppError('INPUT_UNREADABLE', `${file} cannot be read: ${(err as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
  return Buffer.concat(chunks);
}

const OWNER_WORD: Record<KeyOwner, string> = { member: 'member', moderator: 'moderator' };

/** Refuses an address that is not a current member (active) or moderator (list.moderators). */
function checkOwner(ctx: Context, owner: KeyOwner, addr: string): void {
  if (owner === 'member') {
    if (findMember(ctx.db, addr)?.status !== 'active')
      throw new AppError(
        'MEMBER_NOT_FOUND',
        `${addr} is not an active member; add it first with "embargo-list members add ${addr} --org NAME"`,
      );
  } else if (!ctx.config.list.moderators.some((m) => normalizeAddress(m) === addr)) {
    throw new AppError('MODERATOR_NOT_FOUND', `${addr} is not in list.moderators of the configuration`);
  }
}

function describeRow(row: KeyRow, now: Date): string {
  const expired = row.expires !== null && Date.parse(row.expires) <= now.getTime();
  const state = row.revoked === 1 ? 'revoked' : expired ? 'expired' : 'usable';
  const uids = userIdsOf(row);
  return [
    `address: ${row.address} (${row.owner_kind})`,
    `fingerprint: ${formatFingerprint(row.fingerprint)}`,
    `created: ${row.created}`,
    `expires: ${row.expires ?? 'never'}`,
    `state: ${state}`,
    `user IDs:${uids.length === 0 ? ' none' : ''}`,
    ...uids.map((u) => `  ${u}`),
    `added: ${row.added_at} by ${row.added_by}`,
  ].join('\n');
}

function registerPersonKeys(parent: Command, owner: KeyOwner, open: () => Context, io: KeysIo): void {
  const who = OWNER_WORD[owner];
  const key = parent.command('key').description(`a ${who}'s OpenPGP public key: add, show, remove`);

  key
    .command('add')
    .description(
      `set the ${who}'s public key (replacing any other); refused when it is not one public key that can encrypt now`,
    )
    .argument('<address>', `the ${who}'s address`)
    .argument(
      '<file>',
      'the armored (or binary) public key, as "gpg --armor --export FINGERPRINT" writes it; - for standard input',
    )
    .action(async (address: string, file: string) => {
      const addr = checkedAddress(address);
      const bytes = await readCapped(file, MAX_KEY_BYTES, io);
      await withContextAsync(open, async (ctx) => {
        checkOwner(ctx, owner, addr);
        const now = ctx.clock();
        const info = await readPublicKey(bytes, { what: file === '-' ? 'standard input' : file, now });
        const state = await keyState(info.key, now);
        if (state === 'revoked' && findKey(ctx.db, owner, addr)?.fingerprint === info.fingerprint) {
          // The current key, now with its revocation: kept as revoked, so that it counts as no key.
          transaction(ctx.db, () => {
            putKey(ctx.db, owner, addr, { ...info, revoked: true }, nowIso(ctx), operator());
            appendAudit(ctx.db, {
              at: nowIso(ctx),
              actor: operator(),
              action: 'key.revoke',
              object: addr,
              detail: { owner, fingerprint: info.fingerprint },
            });
          });
          io.out(`key revoked: ${addr} ${info.fingerprint} (treated as no key from now on)\n`);
          return;
        }
        if (state !== 'usable') throw unusableError(state, 'the key', info.fingerprint);
        if (!userIdMatches(info.userIds, addr))
          io.err(
            `embargo-list: warning: KEY_UID_MISMATCH no user ID of ${info.fingerprint} names ${addr} (it has: ${info.userIds.join('; ') || 'none'}); added anyway, check with its holder that this is their key\n`,
          );
        const warnDays = ctx.config.policy.keyExpiryWarnDays;
        if (info.expires && warnDays > 0 && info.expires.getTime() - now.getTime() <= warnDays * 86_400_000)
          io.err(
            `embargo-list: warning: KEY_EXPIRES_SOON ${info.fingerprint} stops being usable on ${info.expires.toISOString()}; added anyway\n`,
          );
        const previous = transaction(ctx.db, () => {
          checkOwner(ctx, owner, addr);
          const prev = putKey(ctx.db, owner, addr, info, nowIso(ctx), operator());
          appendAudit(ctx.db, {
            at: nowIso(ctx),
            actor: operator(),
            action: prev ? 'key.replace' : 'key.add',
            object: addr,
            detail: {
              owner,
              fingerprint: info.fingerprint,
              expires: info.expires?.toISOString() ?? null,
              ...(prev ? { previous: prev.fingerprint } : {}),
            },
          });
          return prev;
        });
        io.out(
          previous && previous.fingerprint === info.fingerprint
            ? `key updated: ${addr} ${info.fingerprint}\n`
            : previous
              ? `key replaced: ${addr} ${info.fingerprint} (was ${previous.fingerprint})\n`
              : `key added: ${addr} ${info.fingerprint}\n`,
        );
      });
    });

  key
    .command('show')
    .description(`print the ${who}'s key: fingerprint, expiry, user IDs`)
    .argument('<address>', `the ${who}'s address`)
    .option('--armor', 'print the armored public key instead')
    .action((address: string, opts: { armor?: boolean }) => {
      const addr = checkedAddress(address);
      withContext(open, (ctx) => {
        const row = findKey(ctx.db, owner, addr);
        if (!row)
          throw new AppError(
            'KEY_NOT_FOUND',
            `${addr} has no ${who} key; add one with "embargo-list ${who}s key add ${addr} FILE"`,
          );
        io.out(opts.armor ? row.armored.replace(/\n?$/, '\n') : `${describeRow(row, ctx.clock())}\n`);
      });
    });

  key
    .command('remove')
    .description(`remove the ${who}'s key: mail to it is no longer encrypted`)
    .argument('<address>', `the ${who}'s address`)
    .action((address: string) => {
      const addr = checkedAddress(address);
      withContext(open, (ctx) => {
        const row = transaction(ctx.db, () => {
          const r = deleteKey(ctx.db, owner, addr);
          if (r)
            appendAudit(ctx.db, {
              at: nowIso(ctx),
              actor: operator(),
              action: 'key.remove',
              object: addr,
              detail: { owner, fingerprint: r.fingerprint },
            });
          return r;
        });
        if (!row) throw new AppError('KEY_NOT_FOUND', `${addr} has no ${who} key`);
        io.out(`key removed: ${addr} ${row.fingerprint}\n`);
      });
    });
}

/** Finds a top-level command by name, or makes it. */
function commandNamed(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

export function registerKeys(program: Command, open: () => Context, io: KeysIo = defaultIo): void {
  registerPersonKeys(
    commandNamed(program, 'members', "list, add and remove members (organizations' security aliases)"),
    'member',
    open,
    io,
  );
  registerPersonKeys(
    commandNamed(program, 'moderators', 'the moderators (list.moderators in the configuration)'),
    'moderator',
    open,
    io,
  );

  const key = program.command('key').description("the list's own OpenPGP key: export, show, import");

  key
    .command('export')
    .description("print the list's public key, armored, for members to import")
    .action(async () => {
      await withContextAsync(open, async (ctx) => {
        const listKey = await loadListKey(ctx.config.dataDir);
        if (!listKey) throw noListKey(ctx);
        io.out(listKey.publicKey.armor().replace(/\n?$/, '\n'));
      });
    });

  key
    .command('show')
    .description("print the list's key: fingerprint, expiry, user IDs, where it is kept")
    .action(async () => {
      await withContextAsync(open, async (ctx) => {
        const listKey = await loadListKey(ctx.config.dataDir);
        if (!listKey) throw noListKey(ctx);
        const expires = await listKey.publicKey.getExpirationTime();
        io.out(
          [
            `fingerprint: ${formatFingerprint(listKey.fingerprint)}`,
            `created: ${listKey.publicKey.getCreationTime().toISOString()}`,
            `expires: ${expires instanceof Date && Number.isFinite(expires.getTime()) ? expires.toISOString() : 'never'}`,
            `state: ${await keyState(listKey.publicKey, ctx.clock())}`,
            'user IDs:',
            ...listKey.publicKey.getUserIDs().map((u) => `  ${u}`),
            `file: ${listKey.file}`,
          ].join('\n') + '\n',
        );
      });
    });

  key
    .command('import')
    .description(
      "make a secret key the list's key (kept unprotected, mode 0600; the daemon reads it at its next start)",
    )
    .argument(
      '<file>',
      'the secret key, as "gpg --armor --export-secret-keys FINGERPRINT" writes it; - for standard input',
    )
    .option('--replace', 'replace the list key there is (members who have the old public key must get the new one)')
    .option('--passphrase-file <file>', 'a file whose first line is the passphrase protecting the key')
    .action(async (file: string, opts: { replace?: boolean; passphraseFile?: string }) => {
      const bytes = await readCapped(file, MAX_KEY_BYTES, io);
      const passphrase =
        opts.passphraseFile === undefined
          ? undefined
          : (fs.readFileSync(opts.passphraseFile, 'utf8').split(/\r?\n/)[0] ?? '');
      await withContextAsync(open, async (ctx) => {
        const checked = await checkImportedListKey(bytes, {
          now: ctx.clock(),
          listAddress: ctx.config.list.address,
          passphrase,
        });
        for (const w of checked.warnings) io.err(`embargo-list: warning: ${w}\n`);
        const existing = await loadListKey(ctx.config.dataDir);
        if (existing && !opts.replace && existing.fingerprint !== checked.fingerprint)
          throw new AppError(
            'LIST_KEY_EXISTS',
            `the list already has the key ${existing.fingerprint} (${existing.file}); add --replace to replace it`,
          );
        writeListKey(ctx.config.dataDir, checked.armored, true);
        appendAudit(ctx.db, {
          at: nowIso(ctx),
          actor: operator(),
          action: existing ? 'list-key.replace' : 'list-key.import',
          object: ctx.config.list.address,
          detail: { fingerprint: checked.fingerprint, ...(existing ? { previous: existing.fingerprint } : {}) },
        });
        io.out(
          `list key imported: ${checked.fingerprint} (${listKeyFile(ctx.config.dataDir)}); restart the daemon to use it\n`,
        );
      });
    });
}

function noListKey(ctx: Context): AppError {
  return new AppError(
    'LIST_KEY_MISSING',
    `the list has no OpenPGP key (${listKeyFile(ctx.config.dataDir)}); set openpgp.enabled: true and start the daemon to make one, or "embargo-list key import FILE"`,
  );
}

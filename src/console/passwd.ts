/**
 * embargo-list console passwd ADDRESS: sets a moderator's console password on the server. The
 * password comes from standard input (its first line), or is asked twice without echo on a
 * terminal; it is stored as an scrypt hash (src/console/auth.ts), never printed or logged. It
 * ends the moderator's sessions and lockout. console unlock ADDRESS|IP ends a lockout (of an
 * account, or of a client address); console signout ADDRESS ends every session of a moderator.
 */
import net from 'node:net';
import type { Command } from 'commander';
import type { Context } from '../context';
import { AppError } from '../errors';
import { hasAccount, isModerator, MIN_PASSWORD_LENGTH, setPassword, unlockAddress, unlockIp } from './auth';
import { deleteSessionsOf } from './sessions';
import { withContextAsync } from '../admin/with-context';

/** Reads one line from a TTY without echoing it. */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004')
          return done(new AppError('CONSOLE_PASSWORD_INVALID', 'cancelled; the password is unchanged'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

export async function readStdinLine(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** Checks and stores; returns whether the account was new. */
export function changePassword(ctx: Context, address: string, password: string): boolean {
  if (!isModerator(ctx.config, address))
    throw new AppError(
      'CONSOLE_NOT_A_MODERATOR',
      `${address} is not in list.moderators of the configuration; console accounts are the moderators`,
    );
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw new AppError(
      'CONSOLE_PASSWORD_INVALID',
      `expected a password of at least ${MIN_PASSWORD_LENGTH} characters; the password is unchanged`,
    );
  const existed = hasAccount(ctx.db, address);
  setPassword(ctx.db, address, password, ctx.clock().toISOString());
  return !existed;
}

export function registerConsole(program: Command, open: () => Context): void {
  const group = program.command('console').description("the moderators' web console (console.listen)");
  group
    .command('passwd')
    .description(
      "set a moderator's console password: read from standard input (first line), or asked twice without echo on a terminal",
    )
    .argument('<address>', 'a moderator address from list.moderators')
    .action((address: string) =>
      withContextAsync(open, async (ctx) => {
        // Refuse an unknown address before asking for anything.
        if (!isModerator(ctx.config, address)) changePassword(ctx, address, '');
        let password: string;
        if (process.stdin.isTTY) {
          password = await promptHidden(`New console password for ${address}: `);
          const again = await promptHidden('Again: ');
          if (again !== password)
            throw new AppError('CONSOLE_PASSWORD_INVALID', 'the two passwords differ; the password is unchanged');
        } else {
          password = await readStdinLine();
        }
        const created = changePassword(ctx, address, password);
        ctx.log.info({ moderator: address }, `CONSOLE_PASSWD ${address}`);
        process.stdout.write(`${created ? 'set' : 'changed'} the console password of ${address.toLowerCase()}\n`);
      }),
    );
  group
    .command('unlock')
    .description(
      "end a sign-in lockout: of a moderator's address (its failed sign-ins are forgotten), or of a client IP address",
    )
    .argument('<address>', 'a moderator address, or the IP address of CONSOLE_LOGIN_FAILED ... from IP')
    .action((target: string) =>
      withContextAsync(open, async (ctx) => {
        const n = unlock(ctx, target);
        process.stdout.write(
          `unlocked ${target.trim().toLowerCase()}: ${n} failed sign-in${n === 1 ? '' : 's'} forgotten\n`,
        );
      }),
    );
  group
    .command('signout')
    .description('end every console session of a moderator (on every browser)')
    .argument('<address>', 'a moderator address')
    .action((address: string) =>
      withContextAsync(open, async (ctx) => {
        const n = signOut(ctx, address);
        process.stdout.write(`signed out ${address.trim().toLowerCase()}: ${n} session${n === 1 ? '' : 's'} ended\n`);
      }),
    );
}

/** console unlock: an IP address's failures, or an account's (any address: the lockout covers unknown ones too). */
export function unlock(ctx: Context, target: string): number {
  const t = target.trim().toLowerCase();
  const ip = net.isIP(t) !== 0;
  const n = ip ? unlockIp(ctx.db, t) : unlockAddress(ctx.db, t);
  ctx.log.info({ [ip ? 'ip' : 'account']: t, forgotten: n }, `CONSOLE_UNLOCK ${t}`);
  return n;
}

/** console signout: every session of the address; returns how many. */
export function signOut(ctx: Context, address: string): number {
  const a = address.trim().toLowerCase();
  const n = deleteSessionsOf(ctx.db, a);
  ctx.log.info({ moderator: a, sessions: n }, `CONSOLE_SIGNOUT ${a}`);
  return n;
}

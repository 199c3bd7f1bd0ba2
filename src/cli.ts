#!/usr/bin/env node
/**
 * The command line. Errors are one line with a stable code; --debug adds the stack.
 * Exit codes: 0 done, 1 failed, 2 wrong usage, 66 an input file does not exist, 75 temporary
 * failure (an MTA retries), 78 configuration error (restarting does not fix it).
 */
import YAML from 'yaml';
import { Command, CommanderError, Option } from 'commander';
import { createContext } from './app';
import { configWarnings, loadConfig, redact } from './config';
import { openListKeyAtStart, startDaemon } from './daemon';
import { AppError } from './errors';
import { runIngest } from './admin/ingest';
import { registerMembers } from './admin/members';
import { registerKeys } from './admin/keys';
import { checkListKeyFile, listKeyFile } from './openpgp/list-key';
import { explain } from './admin/explain';
import { registerRequests } from './admin/requests';
import { registerDisclosures } from './admin/disclosures';
import { registerHeld } from './admin/held';
import { registerInbound } from './admin/inbound';
import { registerConsole } from './console/passwd';
import { statusReport } from './admin/status';
import { createLogger } from './log';
import { createTransport } from './mail/transport';
import { loadTemplates } from './mail/templates';
import { checkDataDir, checkDbFile, dbFile, migrate, openDb, schemaVersion } from './store/db';
import { shipped } from './paths';
import fs from 'node:fs';
import path from 'node:path';

export const EXIT = { ok: 0, failed: 1, usage: 2, noinput: 66, tempfail: 75, config: 78 } as const;

/** Errors that restarting cannot fix: the configuration, or the data directory it names. */
const CONFIG_ERRORS = new Set([
  'DATA_DIR_UNWRITABLE',
  'DB_UNREADABLE',
  'DB_NOT_WRITABLE',
  'LIST_KEY_INSECURE',
  'LIST_KEY_UNREADABLE',
]);

interface GlobalOptions {
  config?: string;
  logLevel?: string;
  debug?: boolean;
}

export function buildProgram(): Command {
  const program = new Command('embargo-list')
    .description('Runs a private early-disclosure security mailing list.')
    .option(
      '-c, --config <file>',
      'configuration file (YAML); default: $EMBARGO_LIST_CONFIG, else the embedded default',
    )
    .addOption(
      new Option('--log-level <level>', 'log level for this run').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
      ]),
    )
    .option('--debug', 'print stack traces with errors')
    .version(
      (JSON.parse(fs.readFileSync(shipped('package.json'), 'utf8')) as { version: string }).version,
      '-V, --version',
      'print the version and exit',
    )
    .showHelpAfterError()
    .exitOverride();

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const load = () => loadConfig(globals().config);

  program
    .command('run')
    .description('run the daemon: fetch, process and relay mail until stopped (SIGTERM/SIGINT)')
    .action(async () => {
      const ctx = createContext(load(), { logLevel: globals().logLevel, announce: true });
      for (const w of configWarnings(ctx.config)) ctx.log.warn({ key: w.key }, `${w.code} ${w.message}`);
      try {
        ctx.listKey = (await openListKeyAtStart(ctx)) ?? undefined;
      } catch (err) {
        ctx.db.close();
        throw err;
      }
      const daemon = startDaemon(ctx);
      await new Promise<void>((resolve) => {
        const onSignal = (signal: string) => {
          ctx.log.info({ signal }, `SIGNAL ${signal}`);
          // A second signal, or a stop that hangs, ends the process anyway.
          process.once('SIGTERM', () => process.exit(EXIT.failed));
          process.once('SIGINT', () => process.exit(EXIT.failed));
          setTimeout(() => {
            ctx.log.error('STOP_TIMEOUT stopping took too long; exiting');
            process.exit(EXIT.failed);
          }, 15_000).unref();
          daemon.stop().then(resolve, (err) => {
            ctx.log.error({ err }, 'STOP_FAILED');
            process.exit(EXIT.failed);
          });
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });

  program
    .command('ingest')
    .description(
      'pass raw RFC 5322 messages (files, or - for standard input) through the pipeline once, deliver, and exit; suits an MTA pipe such as "|embargo-list ingest -"',
    )
    .argument('[files...]', 'message files; none or "-" reads one message from standard input')
    .action(async (files: string[]) => {
      // For an MTA every failure here is temporary: exit 75 keeps the mail queued until it is fixed.
      try {
        const ctx = createContext(load(), { logLevel: globals().logLevel });
        try {
          await runIngest(ctx, files);
        } finally {
          ctx.db.close();
        }
      } catch (err) {
        // A file that does not exist will not appear by trying again: exit 66, not 75.
        if (err instanceof AppError && err.code === 'INPUT_NOT_FOUND') throw err;
        throw new AppError(
          'INGEST_TEMPFAIL',
          `not handled, the sender's MTA should try again: ${err instanceof AppError ? `${err.code} ` : ''}${(err as Error).message}`,
          { cause: err },
        );
      }
    });

  program
    .command('check-config')
    .description('validate the configuration and print it with secrets redacted')
    .action(() => {
      const loaded = load();
      // Files the configuration names (the DKIM key) are read now, as the daemon would at start.
      createTransport(loaded.config).close();
      // The data directory and the database, as the daemon would open them (nothing is created).
      checkDataDir(loaded.config.dataDir);
      checkDbFile(dbFile(path.resolve(loaded.config.dataDir)));
      if (loaded.config.openpgp.enabled) checkListKeyFile(listKeyFile(loaded.config.dataDir));
      for (const w of configWarnings(loaded.config))
        process.stderr.write(`embargo-list: warning: ${w.code} ${w.message}\n`);
      process.stdout.write(`# ok: ${loaded.source}\n${YAML.stringify(redact(loaded.config))}`);
    });

  program
    .command('migrate')
    .description('bring the database to the newest schema (the daemon also does this at start)')
    .action(() => {
      const { config } = load();
      const db = openDb(dbFile(path.resolve(config.dataDir)));
      try {
        const applied = migrate(db);
        process.stdout.write(
          applied.length > 0
            ? `migrated to schema version ${schemaVersion(db)} (applied ${applied.join(', ')})\n`
            : `schema is at version ${schemaVersion(db)}, nothing to do\n`,
        );
      } finally {
        db.close();
      }
    });

  program
    .command('explain')
    .description('print as JSON how the pipeline classifies a raw message and what it extracts, changing nothing')
    .argument('<file>', 'a raw RFC 5322 message, or - for standard input')
    .option('--now <instant>', 'judge the mail as if it arrived at this ISO 8601 instant, e.g. 2026-12-03T16:00:00Z')
    .action(async (file: string, opts: { now?: string }) => {
      const now = opts.now === undefined ? undefined : parseInstant(opts.now);
      if (now === null) {
        process.stderr.write(
          `embargo-list: USAGE_ERROR --now "${opts.now}" is not an ISO 8601 instant with a zone, e.g. 2026-12-03T16:00:00Z\n`,
        );
        throw new CommanderError(EXIT.usage, 'embargo-list.invalidNow', '--now is not an ISO 8601 instant');
      }
      const { config } = load();
      const log = createLogger({ level: 'warn', format: 'json' });
      const result = await explain(config, log, loadTemplates(), file, { now });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });

  registerRequests(program, () => createContext(load(), { logLevel: globals().logLevel ?? 'warn' }));
  registerDisclosures(program, () => createContext(load(), { logLevel: globals().logLevel ?? 'warn' }));
  program
    .command('status')
    .description('queue depths, last IMAP contact, outbox backlog, open requests, next embargo end')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const ctx = createContext(load(), { logLevel: globals().logLevel ?? 'warn' });
      try {
        // Unhealthy (admin/status assessHealth): the numbers still print, then exit 1 with the reasons.
        const { output, health } = statusReport(ctx, opts);
        process.stdout.write(output);
        if (!health.healthy)
          throw new AppError('UNHEALTHY', health.problems.map((p) => `${p.code} ${p.detail}`).join('; '));
      } finally {
        ctx.db.close();
      }
    });

  registerHeld(program, () => createContext(load(), { logLevel: globals().logLevel ?? 'warn' }));
  registerInbound(program, () => createContext(load(), { logLevel: globals().logLevel ?? 'warn' }));
  registerMembers(program, () => createContext(load(), { logLevel: globals().logLevel ?? 'warn' }));
  registerKeys(program, () => createContext(load(), { logLevel: globals().logLevel ?? 'warn' }));
  registerConsole(program, () => createContext(load(), { logLevel: globals().logLevel ?? 'warn' }));
  return program;
}

/** An ISO 8601 instant with its zone ("2026-12-03T16:00:00Z", "2026-12-03T17:00+01:00"); null when it is not one. */
export function parseInstant(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/.exec(
    text.trim(),
  );
  if (!m) return null;
  const d = new Date(text.trim());
  if (Number.isNaN(d.getTime())) return null;
  // Date() rolls 2026-02-30 over to March: the fields must survive as written.
  const [y, mo, day, h, mi, s] = m.slice(1).map((x) => Number(x ?? '0'));
  const check = new Date(Date.UTC(y!, mo! - 1, day!, h!, mi!, s ?? 0));
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== day! || h! > 23 || mi! > 59 || (s ?? 0) > 59)
    return null;
  return d;
}

function exitCodeFor(err: AppError): number {
  if (err.code === 'INGEST_TEMPFAIL') return EXIT.tempfail;
  if (err.code === 'INPUT_NOT_FOUND') return EXIT.noinput;
  if (err.code.startsWith('CONFIG_') || CONFIG_ERRORS.has(err.code)) return EXIT.config;
  return EXIT.failed;
}

export async function main(argv: string[]): Promise<number> {
  // The database, the Maildir and the outbox hold embargoed text: readable by this user alone.
  process.umask(0o077);
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const debug = program.opts<GlobalOptions>().debug;
    if (err instanceof AppError) {
      process.stderr.write(`embargo-list: ${err.code} ${err.message}\n`);
      if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
      return exitCodeFor(err);
    }
    process.stderr.write(`embargo-list: INTERNAL_ERROR ${(err as Error)?.message ?? String(err)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

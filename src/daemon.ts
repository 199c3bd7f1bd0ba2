/**
 * The daemon: one fetcher (IMAP or Maildir) feeding the pipeline, one deliverer draining the
 * outbox, and the scheduler running the clocks. SIGTERM and SIGINT finish the message in hand, stop fetching, let the copies in flight
 * finish, close the connections and the database.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from './context';
import { AppError } from './errors';
import { createTransport } from './mail/transport';
import { Deliverer } from './runners/deliver';
import { ImapFetcher } from './runners/fetch-imap';
import { MaildirFetcher } from './runners/fetch-maildir';
import { processRuns } from './pid';
import { Scheduler } from './runners/schedule';
import { RetryRunner } from './runners/pipeline';
import { startHttp } from './runners/http';
import { assessHealth, collectStatus } from './admin/status';
import { checkWritable } from './store/db';
import { dbHealth, setDbHealthLog } from './store/db-health';
import { checkAliasLists } from './policy/corporate-alias';
import { ensureListKey, type ListKey } from './openpgp/list-key';

export interface Daemon {
  stop(): Promise<void>;
}

export function startDaemon(ctx: Context): Daemon {
  const { config, log } = ctx;
  // A database that cannot be written (a read-only file or -shm, a full disk) stops the start
  // with DB_NOT_WRITABLE, a configuration error, instead of a daemon that retries every message.
  try {
    checkWritable(ctx.db, ctx.db.name);
  } catch (err) {
    ctx.db.close();
    throw err;
  }
  setDbHealthLog(log);
  const dataDir = path.resolve(config.dataDir);
  const lock = acquireLock(dataDir);
  // The alias domain lists load on the first join request; a missing or reshaped package stops the start here.
  checkAliasLists();
  const transport = createTransport(config);
  const deliverer = new Deliverer(ctx, transport);
  ctx.outboxChanged = deliverer.wake;
  deliverer.recover();
  deliverer.start();
  const fetcher = config.inbound.imap
    ? new ImapFetcher(ctx, config.inbound.imap)
    : new MaildirFetcher(ctx, config.inbound.maildir!);
  fetcher.start();
  // Messages put back from quarantine by `embargo-list inbound retry`, handled from the database.
  const retries = new RetryRunner(ctx);
  retries.start();
  const scheduler = new Scheduler(ctx);
  scheduler.start();
  const http = config.http.listen
    ? startHttp(config.http.listen, () => {
        const now = ctx.clock();
        const status = collectStatus(ctx.db, now, {
          lastImapContact: fetcher.lastContact?.toISOString() ?? null,
          requestTimers: {
            reminderDays: config.policy.requestReminderDays,
            escalationDays: config.policy.requestEscalationDays,
          },
        });
        // Healthy (admin/status assessHealth): the last database write succeeded, the disk is not
        // full, no copy has been claimed for minutes or pending for an hour, and the mail source
        // answered within three poll intervals (and a minute).
        const db = dbHealth();
        const health = assessHealth({
          db: ctx.db,
          status,
          now,
          dataDir,
          dbHealth: db,
          source: {
            lastContact: fetcher.lastContact,
            freshMs: (config.inbound.imap?.pollSeconds ?? 2) * 3000 + 60_000,
          },
        });
        return { ...status, ...health, dbOk: db.ok };
      }).then(
        (h) => {
          log.info({ port: h.port }, `HTTP listening on ${config.http.listen!.host}:${h.port}`);
          return h;
        },
        (err: Error) => {
          log.error({ err }, `HTTP_FAILED ${err.message}`);
          return null;
        },
      )
    : Promise.resolve(null);
  const consoleListen = config.console.listen;
  const webConsole = consoleListen
    ? // Loaded only when it is on: fastify and the console's pages cost every other start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('./console/server') as typeof import('./console/server')).startConsole(ctx, consoleListen).then(
        (c) => {
          log.info({ port: c.port }, `CONSOLE listening on ${consoleListen.host}:${c.port}`);
          return c;
        },
        (err: Error) => {
          log.error({ err }, `CONSOLE_FAILED ${err.message}`);
          return null;
        },
      )
    : Promise.resolve(null);
  log.info(
    { pid: process.pid, outbound: transport.describe() },
    `STARTED list=${config.list.address} outbound=${transport.describe()}`,
  );
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        log.info('STOPPING finishing the message in hand');
        await (await http)?.close();
        await (await webConsole)?.close();
        await scheduler.stop();
        await fetcher.stop();
        await retries.stop();
        await deliverer.stop();
        transport.close();
        ctx.db.close();
        lock.release();
        log.info('STOPPED');
      })();
      return stopping;
    },
  };
}

/**
 * Before the daemon starts, with openpgp.enabled: the list's key pair, made on the first start.
 * A key file others can read (LIST_KEY_INSECURE) or that cannot be read stops the start.
 */
export async function openListKeyAtStart(ctx: Context): Promise<ListKey | null> {
  if (!ctx.config.openpgp.enabled) return null;
  const { key, generated } = await ensureListKey(ctx.config.dataDir, ctx.config.list, ctx.clock());
  ctx.log.info(
    { fingerprint: key.fingerprint, file: key.file },
    `${generated ? 'LIST_KEY_GENERATED' : 'LIST_KEY_LOADED'} fingerprint=${key.fingerprint} file=${key.file}`,
  );
  return key;
}

/** One daemon per data directory: a pid file, taken over when its process is gone. */
function acquireLock(dataDir: string): { release(): void } {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'embargo-list.pid');
  for (let i = 0; i < 2; i += 1) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => fs.rmSync(file, { force: true }) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A full or read-only disk: one line and the configuration-error exit, not INTERNAL_ERROR.
      if (code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' || code === 'EDQUOT')
        throw new AppError('DATA_DIR_UNWRITABLE', `cannot write the lock file ${file}: ${(err as Error).message}`, {
          cause: err,
        });
      if (code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && processRuns(pid)) {
        throw new AppError(
          'DAEMON_ALREADY_RUNNING',
          `another embargo-list daemon (pid ${pid}) is running on ${dataDir}; stop it first`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new AppError('DAEMON_ALREADY_RUNNING', `cannot take the lock ${file}`);
}

/**
 * Builds the Context from a loaded configuration: logger, database (migrated), templates.
 * Shared by the daemon and the one-shot commands.
 */
import path from 'node:path';
import type { LoadedConfig } from './config';
import type { Context } from './context';
import { createLogger } from './log';
import { loadTemplates } from './mail/templates';
import { dbFile, migrate, openDb } from './store/db';

export function createContext(loaded: LoadedConfig, opts: { logLevel?: string; announce?: boolean } = {}): Context {
  const { config } = loaded;
  const log = createLogger({
    ...config.log,
    level: (opts.logLevel ?? config.log.level) as Context['config']['log']['level'],
  });
  const where = `inbound=${config.inbound.imap ? `imap://${config.inbound.imap.host}:${config.inbound.imap.port}/${config.inbound.imap.mailbox}` : `maildir:${path.resolve(config.inbound.maildir!)}`} outbound=${config.outbound.smtp ? `smtp://${config.outbound.smtp.host}:${config.outbound.smtp.port}` : `directory:${path.resolve(config.outbound.directory!)}`}`;
  if (opts.announce)
    log.info(
      { config: loaded.source, embedded: loaded.embedded },
      loaded.embedded
        ? `CONFIG embedded default (config/default.yaml, no --config given): ${where}; a local trial with example list addresses and posts relayed without sender authentication, not for production`
        : `CONFIG ${loaded.source}: ${where}`,
    );
  const db = openDb(dbFile(path.resolve(config.dataDir)));
  try {
    const applied = migrate(db);
    if (applied.length > 0) log.info({ applied }, `MIGRATED schema to version ${applied[applied.length - 1]}`);
    return { config, db, log, clock: () => new Date(), templates: loadTemplates(), outboxChanged: () => undefined };
  } catch (err) {
    db.close();
    throw err;
  }
}

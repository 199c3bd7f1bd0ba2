import type { Logger } from 'pino';
import type { Config } from './config';
import type { TemplateSet } from './mail/templates';
import type { ListKey } from './openpgp/list-key';
import type { TxtResolver } from './policy/auth-types';
import type { Db } from './store/db';

/** What every stage is handed. The clock is injected so that rules and tests control time. */
export interface Context {
  config: Config;
  db: Db;
  log: Logger;
  clock: () => Date;
  templates: TemplateSet;
  /** Called after a commit that put mail in the outbox, so that delivery starts at once. */
  outboxChanged: () => void;
  /** DNS for verifying DKIM ourselves; tests put a resolver of their own here. Default: the system's. */
  resolver?: TxtResolver;
  /**
   * The list's OpenPGP key pair when openpgp.enabled (loaded or made by `run` before the daemon
   * starts): it decrypts what is sent to the list and signs what the list sends. Absent otherwise.
   */
  listKey?: ListKey;
}

export function nowIso(ctx: Pick<Context, 'clock'>): string {
  return ctx.clock().toISOString();
}

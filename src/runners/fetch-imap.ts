/**
 * fetch (IMAP): the only code that talks IMAP. Takes the mailbox's messages in UID order, hands
 * each to the pipeline, and moves it to Processed or Quarantine only after its effects are
 * committed. IDLE wakes it when mail arrives; a poll every pollSeconds is the safety net; a
 * dropped connection is reopened with backoff (1 s doubling to 30 s, from 1 s again once
 * connected). A database that cannot be written (full disk, read-only, I/O error) is not an IMAP
 * problem: the connection stays open, DB_TROUBLE is logged (store/db-health), and the messages
 * are tried again on a backoff of their own (1 s doubling to 30 s), which only a batch that went
 * through resets.
 */
import type { ImapFlow } from 'imapflow';
import type { ImapConfig } from '../config';
import { nowIso, type Context } from '../context';
import { saveCheckpoint } from '../store/checkpoints';
import { dbOk, dbTrouble, isDbError } from '../store/db-health';
import { processRaw, type ProcessResult } from './pipeline';

const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** After a database error while handling: retry the mailbox after this, doubling up to DB_BACKOFF_MAX_MS. */
const DB_BACKOFF_FIRST_MS = 1000;
const DB_BACKOFF_MAX_MS = 30_000;

export class ImapFetcher {
  private stopping = false;
  private client: ImapFlow | null = null;
  private wakeUp: (() => void) | null = null;
  /** Set when the server told of new mail while we were busy, so that we look again at once. */
  private news = false;
  /** True while a message is in the pipeline: stop() lets it finish. */
  private busy = false;
  private loopDone: Promise<void> | null = null;
  private readonly log;
  /** When the server was last heard from; for status. */
  lastContact: Date | null = null;
  /** The next wait after a database error, and the time before which the mailbox is left alone. */
  private dbBackoff = DB_BACKOFF_FIRST_MS;
  private dbRetryAt = 0;
  /** Waiting out database trouble: news of mail does not cut the wait short (stop does). */
  private holding = false;

  constructor(
    private readonly ctx: Context,
    private readonly imap: ImapConfig,
  ) {
    this.log = ctx.log.child({ stage: 'fetch', source: 'imap' });
  }

  start(): void {
    this.loopDone = this.loop();
  }

  /** Finishes the message in hand, moves what is done, and logs out. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    // Between messages nothing is lost by cutting the connection (a connect that hangs, a FETCH).
    if (!this.busy) this.client?.close();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    let backoff = BACKOFF_FIRST_MS;
    while (!this.stopping) {
      try {
        await this.session(() => {
          backoff = BACKOFF_FIRST_MS;
        });
      } catch (err) {
        if (this.stopping) break;
        this.log.warn(
          { err: { message: (err as Error).message, code: (err as { code?: string }).code }, retryInMs: backoff },
          `IMAP_DISCONNECTED ${(err as Error).message}; reconnecting in ${backoff} ms`,
        );
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /** One connection's life: connect, drain, wait for news, drain again, until it drops or we stop. */
  private async session(connected: () => void): Promise<void> {
    const { imap } = this;
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      auth: { user: imap.user, pass: imap.password ?? '' },
      logger: false,
      // Enter IDLE soon after the last command, so that new mail is pushed at once.
      autoIdleDelay: 500,
      maxIdleTime: Math.max(60_000, imap.pollSeconds * 1000),
      disableAutoIdle: !imap.idle,
      emitLogs: false,
    });
    this.client = client;
    let closed: ((err: Error) => void) | null = null;
    const closedPromise = new Promise<never>((_, reject) => {
      closed = reject;
    });
    closedPromise.catch(() => undefined);
    client.on('error', (err: Error) => closed?.(err));
    client.on('close', () => closed?.(new Error('connection closed')));
    client.on('exists', () => {
      this.lastContact = new Date();
      this.news = true;
      if (!this.holding) this.wakeUp?.();
    });
    try {
      await Promise.race([client.connect(), closedPromise]);
      for (const box of [imap.processedMailbox, imap.quarantineMailbox]) await ensureMailbox(client, box);
      await client.mailboxOpen(imap.mailbox);
      this.lastContact = new Date();
      connected();
      this.log.info(
        { host: imap.host, mailbox: imap.mailbox, idle: imap.idle && client.capabilities.has('IDLE') },
        `IMAP_CONNECTED ${imap.host}:${imap.port} ${imap.mailbox}`,
      );
      while (!this.stopping) {
        this.news = false;
        // Database trouble: the messages wait for the backoff, even across a reconnect.
        const wait = this.dbRetryAt - Date.now();
        if (wait > 0) {
          this.holding = true;
          try {
            await Promise.race([this.sleep(wait), closedPromise]);
          } finally {
            this.holding = false;
          }
          if (this.stopping) break;
        }
        try {
          await Promise.race([this.drain(client), closedPromise]);
        } catch (err) {
          if (this.stopping || !isDbError(err)) throw err;
          this.dbFailed(err);
          continue;
        }
        // A batch went through: the database takes writes.
        this.dbBackoff = DB_BACKOFF_FIRST_MS;
        this.dbRetryAt = 0;
        if (this.stopping) break;
        if (!this.news) await Promise.race([this.sleep(imap.pollSeconds * 1000), closedPromise]);
      }
    } finally {
      closed = null;
      this.client = null;
      if (client.usable) await client.logout().catch(() => undefined);
      else client.close();
    }
  }

  /** Every message now in the mailbox, oldest UID first, a batch at a time. */
  private async drain(client: ImapFlow): Promise<void> {
    const { imap, ctx } = this;
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error('no mailbox selected');
    const uidValidity = Number(mailbox.uidValidity);
    this.lastContact = new Date();
    if (mailbox.exists === 0) return;
    const uids = ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
    this.lastContact = new Date();
    for (let i = 0; i < uids.length && !this.stopping; i += imap.batchSize) {
      const batch = uids.slice(i, i + imap.batchSize);
      const fetched: { uid: number; source: Buffer }[] = [];
      for await (const m of client.fetch(batch.join(','), { uid: true, source: true }, { uid: true })) {
        if (m.source) fetched.push({ uid: m.uid, source: m.source });
      }
      fetched.sort((a, b) => a.uid - b.uid);
      const done: number[] = [];
      const quarantined: number[] = [];
      try {
        for (const m of fetched) {
          if (this.stopping) break;
          this.busy = true;
          // Handled without an fsync each: the checkpoint below syncs the batch at once.
          const result: ProcessResult = await processRaw(
            ctx,
            `imap:${imap.mailbox}:${uidValidity}:${m.uid}`,
            m.source,
            {
              synced: false,
            },
          );
          this.busy = false;
          (result.status.endsWith('quarantined') ? quarantined : done).push(m.uid);
        }
      } finally {
        this.busy = false;
        // Whatever was committed is moved, even when a later message failed or we are stopping;
        // but only once it is durable. The checkpoint's FULL commit syncs the log, and with it
        // every handling committed before it: if it fails, nothing moves and the messages are
        // seen again (each is recorded as handled, so none is applied twice).
        const last = Math.max(0, ...done, ...quarantined);
        if (last > 0) this.saveCheckpoint(uidValidity, last);
        await this.move(client, done, imap.processedMailbox);
        await this.move(client, quarantined, imap.quarantineMailbox);
      }
    }
  }

  /** The checkpoint, a FULL commit: database trouble when it fails, proof of a working database when not. */
  private saveCheckpoint(uidValidity: number, last: number): void {
    try {
      saveCheckpoint(this.ctx.db, this.imap.mailbox, uidValidity, last, nowIso(this.ctx));
    } catch (err) {
      if (isDbError(err)) dbTrouble(err, 'fetch:checkpoint');
      throw err;
    }
    dbOk();
  }

  /**
   * A database error while handling the mailbox (the pipeline's writes, the checkpoint): logged
   * as DB_TROUBLE (store/db-health, once and then a reminder), never as an IMAP problem; the
   * mailbox is looked at again after the database backoff.
   */
  private dbFailed(err: unknown): void {
    dbTrouble(err, 'fetch');
    this.log.debug(
      { err: { message: (err as Error).message, code: (err as { code?: string }).code }, retryInMs: this.dbBackoff },
      `DB_RETRY fetch in ${this.dbBackoff} ms: ${(err as Error).message}`,
    );
    this.dbRetryAt = Date.now() + this.dbBackoff;
    this.dbBackoff = Math.min(this.dbBackoff * 2, DB_BACKOFF_MAX_MS);
  }

  private async move(client: ImapFlow, uids: number[], to: string): Promise<void> {
    if (uids.length === 0 || !client.usable) return;
    await client.messageMove(uids.join(','), to, { uid: true });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
    });
  }
}

async function ensureMailbox(client: ImapFlow, path: string): Promise<void> {
  const list = await client.list();
  if (list.some((m) => m.path === path)) return;
  await client.mailboxCreate(path);
}

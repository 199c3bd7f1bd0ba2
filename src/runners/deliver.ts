/**
 * deliver: the only code that sends. Drains the outbox after each commit and on a timer; each
 * copy is claimed, sent in its own envelope, and marked sent, retried or failed right after. A
 * few workers per SMTP connection each take the next claimed copy as soon as theirs is marked,
 * so that no connection waits for a slow copy on another one.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { nowIso, type Context } from '../context';
import { judge } from '../mail/smtp-replies';
import type { Transport } from '../mail/transport';
import { errorCode, errorMessage } from '../errors';
import { OutboundPgp } from '../openpgp/outbound';
import { processRuns } from '../pid';
import { relaxed, transaction } from '../store/db';
import { keyToEncryptTo } from '../store/keys';
import {
  claimDue,
  markFailed,
  markRetry,
  markSent,
  releaseClaims,
  releaseOrphans,
  type ClaimedDelivery,
} from '../store/outbox';

/** Who claims copies: this host, this process, and this start (a pid alone recurs, e.g. pid 1 in a container). */
export const OWNER = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Is the process that claimed a copy still running? Another start of this process, or a process
 * on another host (SQLite is not shared across hosts, so that is an earlier container), is not.
 */
export function ownerAlive(owner: string): boolean {
  if (owner === OWNER) return true;
  const [host, pid] = owner.split(':');
  return host === os.hostname() && Number(pid) !== process.pid && processRuns(Number(pid));
}

export class Deliverer {
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private pending = false;
  private loopDone: Promise<void> | null = null;
  private readonly log;
  /** Copies acknowledged in this turn of the event loop, waiting for their one commit. */
  private marks: { id: number; code: number | null }[] = [];
  private marksCommitted: Promise<void> | null = null;
  /** Encryption and signing of copies (issue 12); asked only when a copy has work for it. */
  private readonly pgp: OutboundPgp;

  constructor(
    private readonly ctx: Context,
    private readonly transport: Transport,
    /** How many copies are claimed at a time. */
    private readonly batch = 100,
  ) {
    this.log = ctx.log.child({ stage: 'deliver' });
    this.pgp = new OutboundPgp(ctx, (recipient, now, fingerprint) =>
      keyToEncryptTo(ctx.db, recipient, fingerprint, now),
    );
  }

  /** Copies left in flight by a killed process go back to the queue. */
  recover(): number {
    const n = releaseOrphans(this.ctx.db, ownerAlive);
    if (n > 0)
      this.log.warn({ copies: n }, `RECOVERED ${n} copies that a stopped process was sending; they are sent again`);
    return n;
  }

  wake = (): void => {
    this.pending = true;
    this.wakeUp?.();
  };

  start(): void {
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const pollMs = this.ctx.config.outbound.pollSeconds * 1000;
    while (!this.stopping) {
      this.pending = false;
      let drained: DrainResult;
      try {
        // Copies left claimed by a process that died since (an ingest killed mid-send) go back.
        this.recover();
        drained = await this.drainOnce();
      } catch (err) {
        this.log.error({ err }, 'DELIVER_FAILED the outbox could not be read; trying again');
        drained = { sent: 0, retried: 0, failed: 0 };
      }
      const worked = drained.sent + drained.retried + drained.failed > 0;
      if (this.stopping) break;
      if (worked || this.pending) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  /**
   * Sends every copy that is due now. Workers, two per connection of the transport (so that each
   * connection has its next copy queued), take claimed copies one by one; when the claimed copies
   * run out, the worker that finds none claims the next batch. Copies claimed but not started when
   * we stop are given back.
   */
  async drainOnce(): Promise<DrainResult> {
    const total: DrainResult = { sent: 0, retried: 0, failed: 0 };
    const queue: ClaimedDelivery[] = [];
    let exhausted = false;
    const worker = async (): Promise<void> => {
      while (!this.stopping) {
        if (queue.length === 0) {
          if (exhausted) return;
          // With FULL: the claim syncs the log, and with it the commits that queued these copies
          // (the fetcher's are not synced each), so nothing is sent from a state a power cut can undo.
          const claimed = claimDue(this.ctx.db, OWNER, nowIso(this.ctx), this.batch);
          if (claimed.length === 0) {
            exhausted = true;
            return;
          }
          queue.push(...claimed);
        }
        total[await this.sendOne(queue.shift()!)] += 1;
      }
    };
    const workers = Math.max(1, Math.min(this.batch, 2 * (this.transport.concurrency ?? this.batch)));
    try {
      await Promise.all(Array.from({ length: workers }, worker));
    } finally {
      if (queue.length > 0)
        releaseClaims(
          this.ctx.db,
          OWNER,
          queue.map((r) => r.id),
        );
    }
    return total;
  }

  /**
   * Marks a copy sent in one commit with the others acknowledged in the same turn of the event loop,
   * and resolves once that commit is written; the worker starts no other copy before. A connection
   * needs several turns (replies to MAIL, RCPT, DATA) between two accepted copies, so the copies
   * accepted and not yet marked stay at most one per connection: what a SIGKILL can duplicate.
   */
  private markSentSoon(id: number, code: number | null): Promise<void> {
    this.marks.push({ id, code });
    this.marksCommitted ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const { db } = this.ctx;
        const marks = this.marks;
        this.marks = [];
        this.marksCommitted = null;
        try {
          const at = nowIso(this.ctx);
          relaxed(db, () =>
            transaction(db, () => {
              for (const m of marks) markSent(db, m.id, m.code, at);
            }),
          );
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    return this.marksCommitted;
  }

  /**
   * A copy that could not be encrypted (its member's key changed or became unusable) or signed:
   * failed, never sent in the clear instead.
   */
  private failUnprepared(row: ClaimedDelivery, err: unknown): 'failed' {
    const code = errorCode(err);
    const message = `${code} ${errorMessage(err)}`.slice(0, 500);
    relaxed(this.ctx.db, () => markFailed(this.ctx.db, row.id, null, message, nowIso(this.ctx)));
    this.log.warn(
      { delivery: row.id, to: row.recipient, messageId: row.mail_message_id, code, encryptTo: row.encrypt_to },
      `FAILED ${row.mail_message_id ?? row.id} to=${row.recipient} ${message}`,
    );
    return 'failed';
  }

  private async sendOne(row: ClaimedDelivery): Promise<keyof DrainResult> {
    const { ctx } = this;
    // Without OpenPGP work on this copy (no list key, not to be encrypted) its shared bytes go as they are.
    let raw = row.raw;
    if (this.pgp.needsWork(row)) {
      try {
        raw = await this.pgp.prepare(row);
      } catch (err) {
        return this.failUnprepared(row, err);
      }
    }
    try {
      const code = await this.transport.send({ from: row.envelope_from, to: row.recipient }, raw, row.id);
      await this.markSentSoon(row.id, code);
      this.log.info(
        { delivery: row.id, to: row.recipient, purpose: row.purpose, messageId: row.mail_message_id, code },
        `SENT ${row.mail_message_id ?? row.id} to=${row.recipient}`,
      );
      return 'sent';
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message?: string; response?: string };
      const failure = {
        responseCode: e.responseCode,
        code: e.code,
        message: (e.response ?? e.message ?? String(err)).slice(0, 500),
      };
      const { verdict, why } = judge(failure);
      const now = ctx.clock();
      const { firstSeconds, maxSeconds, giveUpHours } = ctx.config.outbound.retry;
      const expired = now.getTime() - Date.parse(row.created_at) >= giveUpHours * 3600_000;
      const fields = {
        delivery: row.id,
        to: row.recipient,
        messageId: row.mail_message_id,
        attempts: row.attempts,
        code: failure.responseCode ?? failure.code,
        why,
      };
      if (verdict === 'permanent' || expired) {
        relaxed(ctx.db, () =>
          markFailed(ctx.db, row.id, failure.responseCode ?? null, failure.message, now.toISOString()),
        );
        this.log.warn(
          fields,
          `FAILED ${row.mail_message_id ?? row.id} to=${row.recipient} ${expired && verdict === 'temporary' ? 'gave up after ' + giveUpHours + 'h' : ''} ${failure.message}`.replace(
            /\s+/g,
            ' ',
          ),
        );
        return 'failed';
      }
      const delay = Math.min(firstSeconds * 2 ** (row.attempts - 1), maxSeconds);
      const nextAt = new Date(now.getTime() + delay * 1000).toISOString();
      relaxed(ctx.db, () => markRetry(ctx.db, row.id, failure.responseCode ?? null, failure.message, nextAt));
      this.log.warn(
        { ...fields, retryInSeconds: delay },
        `DEFERRED ${row.mail_message_id ?? row.id} to=${row.recipient} retry_in=${delay}s ${failure.message}`.replace(
          /\s+/g,
          ' ',
        ),
      );
      return 'retried';
    }
  }
}

/**
 * deliver: the only code that sends. Drains the outbox after each commit and on a timer; each
 * copy is claimed, sent in its own envelope, and marked sent, retried or failed right after.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { nowIso, type Context } from '../context';
import { judge } from '../mail/smtp-replies';
import type { Transport } from '../mail/transport';
import { processRuns } from '../pid';
import { claimDue, markFailed, markRetry, markSent, releaseOrphans, type ClaimedDelivery } from '../store/outbox';

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

  constructor(
    private readonly ctx: Context,
    private readonly transport: Transport,
    private readonly batch = 100,
  ) {
    this.log = ctx.log.child({ stage: 'deliver' });
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

  /** Sends every copy that is due now, a batch at a time. */
  async drainOnce(): Promise<DrainResult> {
    const total: DrainResult = { sent: 0, retried: 0, failed: 0 };
    for (;;) {
      const claimed = claimDue(this.ctx.db, OWNER, nowIso(this.ctx), this.batch);
      if (claimed.length === 0) return total;
      const results = await Promise.all(claimed.map((row) => this.sendOne(row)));
      for (const r of results) total[r] += 1;
      if (this.stopping) return total;
    }
  }

  private async sendOne(row: ClaimedDelivery): Promise<keyof DrainResult> {
    const { ctx } = this;
    try {
      const code = await this.transport.send({ from: row.envelope_from, to: row.recipient }, row.raw, row.id);
      markSent(ctx.db, row.id, code, nowIso(ctx));
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
        markFailed(ctx.db, row.id, failure.responseCode ?? null, failure.message, now.toISOString());
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
      markRetry(
        ctx.db,
        row.id,
        failure.responseCode ?? null,
        failure.message,
        new Date(now.getTime() + delay * 1000).toISOString(),
      );
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

/**
 * deliver: the only code that sends. Drains the outbox after each commit and on a timer; each
 * copy is claimed, sent in its own envelope, and marked sent, retried or failed right after. One
 * worker per SMTP connection takes the next copy as soon as its own is marked, so that no
 * connection waits for a slow copy on another one, and no more copies are claimed than there are
 * connections to send them.
 *
 * Two things fail apart: the relay, and the database. What the relay said of a copy is kept in
 * memory until the outbox records it; a write that fails is tried again with backoff (DB_TROUBLE),
 * never taken for an SMTP failure, and a delivered copy is never queued to be sent again. A relay
 * in trouble (421, a connection that fails) pauses all sending: one copy at a time probes it, with
 * backoff, and sending resumes as soon as one is accepted (RELAY_PAUSED, RELAY_RESUMED).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { nowIso, type Context } from '../context';
import { judge } from '../mail/smtp-replies';
import type { Transport } from '../mail/transport';
import { errorCode, errorMessage } from '../errors';
import { OutboundPgp } from '../openpgp/outbound';
import { processRuns } from '../pid';
import { hasUnsyncedWork, noteSynced, relaxed, transaction, type Db } from '../store/db';
import { dbOk, dbTrouble, isDbError } from '../store/db-health';
import { keyToEncryptTo } from '../store/keys';
import {
  claimDue,
  markFailed,
  markRequeued,
  markRetry,
  markSent,
  releaseClaims,
  releaseOrphans,
  releaseStaleClaims,
  STALE_CLAIM_MS,
  type ClaimedDelivery,
} from '../store/outbox';

/** Who claims copies: this host, this process, and this start (a pid alone recurs, e.g. pid 1 in a container). */
export const OWNER = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
}

/** The waits of the deliverer, in milliseconds of real time; tests shorten them. */
export interface DeliveryTiming {
  /** A send without an answer for this long is logged (SEND_SLOW), once, while it waits. */
  slowSendMs: number;
  /** After the relay failed as a whole, the first probe after this long, doubled up to probeMaxMs. */
  probeFirstMs: number;
  probeMaxMs: number;
  /** A failed write of a copy's outcome is tried again after this long, doubled up to writeRetryMaxMs. */
  writeRetryFirstMs: number;
  writeRetryMaxMs: number;
  /** Once stopping, outcomes not yet written are given up after this long (a restart sends those copies again). */
  stopWriteGraceMs: number;
  /** Claims of this process older than this, whose copy it no longer has in hand, go back to the queue. */
  staleClaimMs: number;
  now: () => number;
}

export const DEFAULT_TIMING: DeliveryTiming = {
  slowSendMs: 60_000,
  probeFirstMs: 1_000,
  probeMaxMs: 10_000,
  writeRetryFirstMs: 100,
  writeRetryMaxMs: 5_000,
  stopWriteGraceMs: 5_000,
  staleClaimMs: STALE_CLAIM_MS,
  now: () => Date.now(),
};

/**
 * Is the process that claimed a copy still running? Another start of this process, or a process
 * on another host (SQLite is not shared across hosts, so that is an earlier container), is not.
 */
export function ownerAlive(owner: string): boolean {
  if (owner === OWNER) return true;
  const [host, pid] = owner.split(':');
  return host === os.hostname() && Number(pid) !== process.pid && processRuns(Number(pid));
}

/** The relay failed as a whole: nothing is sent but one probe copy at a time until it takes one. */
interface Pause {
  since: number;
  /** The first failure's reply, for the log. */
  reason: string;
  /** Probes that failed so far. */
  probes: number;
  delayMs: number;
  nextProbeAt: number;
}

/** An outcome of a copy waiting to be written: applied in one transaction with the others of its turn. */
interface PendingWrite {
  apply: (db: Db, at: string) => void;
  done: (written: boolean) => void;
}

export class Deliverer {
  private stopping = false;
  private stoppingSince = 0;
  private wakeUp: (() => void) | null = null;
  private pending = false;
  private loopDone: Promise<void> | null = null;
  private readonly log;
  /** Outcomes (sent, retry, failed) acknowledged and not yet written: kept here until the outbox has them. */
  private writes: PendingWrite[] = [];
  private flushScheduled = false;
  /** 0 while writes succeed; the wait before the next try while they fail. */
  private writeRetryMs = 0;
  /** The copies this process has claimed and holds: queued to send, sending, or waiting for their outcome to be written. */
  private readonly inHand = new Set<number>();
  /** Claims to give back that could not be given back when the database refused the write. */
  private readonly giveBack = new Set<number>();
  private pause: Pause | null = null;
  private readonly timing: DeliveryTiming;
  /** Encryption and signing of copies (issue 12); asked only when a copy has work for it. */
  private readonly pgp: OutboundPgp;

  constructor(
    private readonly ctx: Context,
    private readonly transport: Transport,
    /** How many copies are claimed at a time, at most (and never more than the transport's connections). */
    private readonly batch = 100,
    timing: Partial<DeliveryTiming> = {},
  ) {
    this.log = ctx.log.child({ stage: 'deliver' });
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.pgp = new OutboundPgp(ctx, (recipient, now, fingerprint) =>
      keyToEncryptTo(ctx.db, recipient, fingerprint, now),
    );
  }

  /** Whether sending is paused because the relay failed as a whole, and since when (ms). */
  get pausedSince(): number | null {
    return this.pause?.since ?? null;
  }

  /**
   * Copies left in flight by a killed process go back to the queue, and so do this process's own
   * claims older than staleClaimMs whose copy it no longer holds (a write that failed left them).
   */
  recover(): number {
    const { db } = this.ctx;
    const n = releaseOrphans(db, ownerAlive);
    if (n > 0)
      this.log.warn({ copies: n }, `RECOVERED ${n} copies that a stopped process was sending; they are sent again`);
    if (this.giveBack.size > 0) {
      releaseClaims(db, OWNER, [...this.giveBack]);
      this.giveBack.clear();
    }
    const before = new Date(this.ctx.clock().getTime() - this.timing.staleClaimMs).toISOString();
    const stale = releaseStaleClaims(db, OWNER, before, this.inHand);
    if (stale > 0)
      this.log.warn(
        { copies: stale, olderThanSeconds: this.timing.staleClaimMs / 1000 },
        `RECOVERED ${stale} copies this process claimed over ${this.timing.staleClaimMs / 1000} s ago and no longer holds; they are sent again`,
      );
    return n + stale;
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
    this.stoppingSince = this.timing.now();
    this.wakeUp?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const pollMs = this.ctx.config.outbound.pollSeconds * 1000;
    let failures = 0;
    while (!this.stopping) {
      this.pending = false;
      let drained: DrainResult;
      try {
        // Copies left claimed by a process that died since (an ingest killed mid-send) go back.
        this.recover();
        drained = await this.drainOnce();
        failures = 0;
      } catch (err) {
        failures += 1;
        if (isDbError(err)) dbTrouble(err, 'deliver.claim');
        if (failures === 1 || failures % 12 === 0)
          this.log.error({ err, failures }, 'DELIVER_FAILED the outbox could not be read; trying again');
        drained = { sent: 0, retried: 0, failed: 0 };
      }
      const worked = drained.sent + drained.retried + drained.failed > 0;
      if (this.stopping) break;
      if ((worked || this.pending) && failures === 0) continue;
      // Paused: wake for the next probe; the database failing: back off up to the poll interval.
      const waitMs = this.pause
        ? Math.max(0, Math.min(pollMs, this.pause.nextProbeAt - this.timing.now()))
        : failures > 0
          ? Math.min(pollMs, this.timing.writeRetryFirstMs * 2 ** Math.min(failures, 16))
          : pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  /**
   * Sends every copy that is due now. One worker per connection of the transport takes claimed
   * copies one by one; a worker that finds none claims as many as there are workers without a
   * copy. While the relay is paused, only a probe is sent when its time has come: one copy, and
   * if it is accepted, the rest as usual. Copies claimed but not started when we stop or pause are
   * given back.
   */
  async drainOnce(): Promise<DrainResult> {
    const total: DrainResult = { sent: 0, retried: 0, failed: 0 };
    if (this.pause) {
      if (this.timing.now() < this.pause.nextProbeAt) return total;
      await this.run(1, total);
      if (this.pause || this.stopping) return total;
    }
    await this.run(Math.max(1, Math.min(this.batch, this.transport.concurrency ?? this.batch)), total);
    return total;
  }

  /** `workers` workers, each with one copy at a time; with one worker, one copy in all (a probe) when paused. */
  private async run(workers: number, total: DrainResult): Promise<void> {
    const queue: ClaimedDelivery[] = [];
    const probing = this.pause !== null;
    let exhausted = false;
    // Workers still running, and those with a copy: a claim takes one copy for each running worker without one.
    let running = workers;
    let busy = 0;
    const worker = async (): Promise<void> => {
      try {
        await work();
      } finally {
        running -= 1;
      }
    };
    const work = async (): Promise<void> => {
      while (!this.stopping && (probing || !this.pause)) {
        if (queue.length === 0) {
          if (exhausted) return;
          const claimed = this.claim(Math.max(1, running - busy));
          if (claimed.length === 0) {
            exhausted = true;
            return;
          }
          dbOk();
          for (const r of claimed) this.inHand.add(r.id);
          queue.push(...claimed);
        }
        busy += 1;
        try {
          total[await this.sendOne(queue.shift()!, probing)] += 1;
        } finally {
          busy -= 1;
        }
        if (probing) return;
      }
    };
    try {
      await Promise.all(Array.from({ length: workers }, worker));
    } finally {
      if (queue.length > 0) {
        const ids = queue.map((r) => r.id);
        for (const id of ids) this.inHand.delete(id);
        try {
          releaseClaims(this.ctx.db, OWNER, ids);
        } catch (err) {
          dbTrouble(err, 'deliver.release');
          for (const id of ids) this.giveBack.add(id);
        }
      }
    }
  }

  /**
   * Claims up to `limit` due copies. While commits that queued copies are not yet synced (the
   * fetcher handles an IMAP batch unsynced, store/db unsynced), the claim commits with FULL, which
   * syncs them too: nothing is sent from a state a power cut can undo. Otherwise it commits like
   * the marks (store/db relaxed): a power cut can take back only the claim, and the copy is sent
   * again, the duplicate a mark lost can cause already. One FULL commit per copy would halve what
   * five connections deliver.
   */
  private claim(limit: number): ClaimedDelivery[] {
    const { db } = this.ctx;
    const at = nowIso(this.ctx);
    if (!hasUnsyncedWork(db)) return relaxed(db, () => claimDue(db, OWNER, at, limit));
    const claimed = claimDue(db, OWNER, at, limit);
    // A claim that took nothing wrote nothing, and synced nothing.
    if (claimed.length > 0) noteSynced(db);
    return claimed;
  }

  /**
   * Writes a copy's outcome in one commit with the others acknowledged in the same turn of the
   * event loop, and resolves once that commit is written; the worker starts no other copy before.
   * A connection needs several turns (replies to MAIL, RCPT, DATA) between two accepted copies, so
   * the copies accepted and not yet marked stay at most one per connection: what a SIGKILL can
   * duplicate. A commit that fails keeps the outcomes here and is tried again with backoff until
   * it is written (or, once stopping, until stopWriteGraceMs): resolves true when written.
   */
  private record(apply: PendingWrite['apply']): Promise<boolean> {
    return new Promise<boolean>((done) => {
      this.writes.push({ apply, done });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = (): void => {
      this.flushScheduled = false;
      this.flush();
    };
    if (this.writeRetryMs === 0) setImmediate(run);
    else setTimeout(run, this.writeRetryMs);
  }

  private flush(): void {
    const { db } = this.ctx;
    const writes = this.writes;
    this.writes = [];
    if (writes.length === 0) return;
    try {
      const at = nowIso(this.ctx);
      relaxed(db, () =>
        transaction(db, () => {
          for (const w of writes) w.apply(db, at);
        }),
      );
    } catch (err) {
      // The relay's answer stands; only its record waits. Never an SMTP failure, never a retry of the copy.
      dbTrouble(err, 'deliver.mark');
      this.writes = [...writes, ...this.writes];
      this.writeRetryMs = Math.min(
        Math.max(this.timing.writeRetryFirstMs, 2 * this.writeRetryMs),
        this.timing.writeRetryMaxMs,
      );
      if (this.stopping && this.timing.now() - this.stoppingSince >= this.timing.stopWriteGraceMs) {
        const lost = this.writes;
        this.writes = [];
        this.log.error(
          { copies: lost.length, err },
          `UNRECORDED ${lost.length} outcomes of copies could not be written before stopping; their copies stay claimed and a restart sends them again`,
        );
        for (const w of lost) w.done(false);
        return;
      }
      this.scheduleFlush();
      return;
    }
    if (this.writeRetryMs > 0)
      this.log.info(
        { copies: writes.length },
        `RECORDED ${writes.length} outcomes of copies once the database took them`,
      );
    this.writeRetryMs = 0;
    dbOk();
    for (const w of writes) w.done(true);
    // Outcomes that arrived while this one was waiting.
    if (this.writes.length > 0) this.scheduleFlush();
  }

  /**
   * A copy that could not be encrypted (its member's key changed or became unusable) or signed:
   * failed, never sent in the clear instead.
   */
  private async failUnprepared(row: ClaimedDelivery, err: unknown): Promise<'failed'> {
    const code = errorCode(err);
    const message = `${code} ${errorMessage(err)}`.slice(0, 500);
    await this.record((db, at) => markFailed(db, row.id, null, message, at));
    this.inHand.delete(row.id);
    this.log.warn(
      { delivery: row.id, to: row.recipient, messageId: row.mail_message_id, code, encryptTo: row.encrypt_to },
      `FAILED ${row.mail_message_id ?? row.id} to=${row.recipient} ${message}`,
    );
    return 'failed';
  }

  private async sendOne(row: ClaimedDelivery, probe = false): Promise<keyof DrainResult> {
    // Without OpenPGP work on this copy (no list key, not to be encrypted) its shared bytes go as they are.
    let raw = row.raw;
    if (this.pgp.needsWork(row)) {
      try {
        raw = await this.pgp.prepare(row);
      } catch (err) {
        return this.failUnprepared(row, err);
      }
    }
    const started = this.timing.now();
    const slow = setTimeout(() => {
      this.log.warn(
        { delivery: row.id, to: row.recipient, messageId: row.mail_message_id, seconds: this.timing.slowSendMs / 1000 },
        `SEND_SLOW ${row.mail_message_id ?? row.id} to=${row.recipient} no answer from ${this.transport.describe()} after ${this.timing.slowSendMs / 1000} s; still waiting`,
      );
    }, this.timing.slowSendMs);
    let code: number | null;
    try {
      code = await this.transport.send({ from: row.envelope_from, to: row.recipient }, raw, row.id);
    } catch (err) {
      return this.sendFailed(row, err, probe);
    } finally {
      clearTimeout(slow);
    }
    // Accepted: the relay is alive, and this copy is delivered whatever happens to its record.
    this.resume();
    const seconds = (this.timing.now() - started) / 1000;
    const written = await this.record((db, at) => markSent(db, row.id, code, at));
    if (written) this.inHand.delete(row.id);
    this.log.info(
      {
        delivery: row.id,
        to: row.recipient,
        purpose: row.purpose,
        messageId: row.mail_message_id,
        code,
        ...(seconds * 1000 >= this.timing.slowSendMs ? { seconds } : {}),
        ...(written ? {} : { unrecorded: true }),
      },
      `SENT ${row.mail_message_id ?? row.id} to=${row.recipient}`,
    );
    return 'sent';
  }

  /** The relay (never the database) did not take the copy. */
  private async sendFailed(row: ClaimedDelivery, err: unknown, probe: boolean): Promise<keyof DrainResult> {
    const { ctx } = this;
    const e = err as { responseCode?: number; code?: string; command?: string; message?: string; response?: string };
    const failure = {
      responseCode: e.responseCode,
      code: e.code,
      command: e.command,
      message: (e.response ?? e.message ?? String(err)).slice(0, 500),
    };
    const { verdict, why, scope } = judge(failure);
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
    const line = (text: string): string => text.replace(/\s+/g, ' ').trim();
    if (scope === 'copy') this.resume();
    if (verdict === 'permanent' || expired) {
      await this.record((db, at) => markFailed(db, row.id, failure.responseCode ?? null, failure.message, at));
      this.inHand.delete(row.id);
      this.log.warn(
        fields,
        line(
          `FAILED ${row.mail_message_id ?? row.id} to=${row.recipient} ${expired && verdict === 'temporary' ? 'gave up after ' + giveUpHours + 'h' : ''} ${failure.message}`,
        ),
      );
      return 'failed';
    }
    if (scope === 'relay') {
      // Not this copy's fault: back to the queue as due as it was, and the relay is probed.
      this.pauseRelay(failure.message, probe);
      await this.record((db) => markRequeued(db, row.id, failure.responseCode ?? null, failure.message));
      this.inHand.delete(row.id);
      const probeIn = Math.max(0, Math.round((this.pause!.nextProbeAt - this.timing.now()) / 100) / 10);
      this.log.warn(
        { ...fields, relayPaused: true, probeInSeconds: probeIn },
        line(
          `DEFERRED ${row.mail_message_id ?? row.id} to=${row.recipient} relay_paused probe_in=${probeIn}s ${failure.message}`,
        ),
      );
      return 'retried';
    }
    const delay = Math.min(firstSeconds * 2 ** (row.attempts - 1), maxSeconds);
    const nextAt = new Date(now.getTime() + delay * 1000).toISOString();
    await this.record((db) => markRetry(db, row.id, failure.responseCode ?? null, failure.message, nextAt));
    this.inHand.delete(row.id);
    this.log.warn(
      { ...fields, retryInSeconds: delay },
      line(`DEFERRED ${row.mail_message_id ?? row.id} to=${row.recipient} retry_in=${delay}s ${failure.message}`),
    );
    return 'retried';
  }

  /** The relay failed as a whole: pause; a probe that fails doubles the wait before the next one. */
  private pauseRelay(reason: string, probe: boolean): void {
    const now = this.timing.now();
    if (!this.pause) {
      this.pause = {
        since: now,
        reason,
        probes: 0,
        delayMs: this.timing.probeFirstMs,
        nextProbeAt: now + this.timing.probeFirstMs,
      };
      this.log.warn(
        { reason, probeInSeconds: this.timing.probeFirstMs / 1000 },
        `RELAY_PAUSED ${this.transport.describe()} ${reason}; sending paused, one copy probes the relay`.replace(
          /\s+/g,
          ' ',
        ),
      );
      return;
    }
    // Copies that were on other connections when the relay failed fail too: one pause, not one per copy.
    if (!probe) return;
    this.pause.probes += 1;
    this.pause.delayMs = Math.min(2 * this.pause.delayMs, this.timing.probeMaxMs);
    this.pause.nextProbeAt = now + this.pause.delayMs;
  }

  private resume(): void {
    if (!this.pause) return;
    const { since, probes, reason } = this.pause;
    this.pause = null;
    const seconds = Math.round((this.timing.now() - since) / 100) / 10;
    this.log.info(
      { seconds, probes: probes + 1, reason },
      `RELAY_RESUMED ${this.transport.describe()} took a copy again after ${seconds} s paused (${probes + 1} probes); sending resumes`,
    );
    this.wake();
  }
}

/**
 * The journey of one message after fetch: record, parse, classify, decide, act, all or nothing;
 * an error at any stage shunts the message to quarantine with its code, and the moderators are
 * told. Sources (IMAP, Maildir, ingest) call processRaw one message at a time, in order, and move
 * the message afterwards; messages put back from quarantine (`embargo-list inbound retry`) are
 * handled from the database (processRetried, RetryRunner). A database error (busy, full,
 * read-only, I/O) is nobody's fault: the message stays `received` and is tried again.
 *
 * What a handling logs (RELAYED, HELD, ..., and what the actions log inside it) is written after
 * its transaction commits, and not at all when it is rolled back (committed()).
 */
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import { actionsWith } from '../actions';
import { loadEmbargoPolicy } from '../actions/confirmation';
import { sendTemplate } from '../actions/send';
import type { ActInput, ActResult } from '../actions/types';
import { decide } from '../chains/inbound';
import { COMMANDS } from '../commands';
import { startRemove } from '../commands/remove';
import { nowIso, type Context } from '../context';
import { AppError, errorCode, errorMessage } from '../errors';
import { readHeaderOnly, UNKNOWN_SENDER } from '../message/header-only';
import { parseMessage, type InboundMessage } from '../message/parse';
import { readAttachedKey } from '../openpgp/attached-key';
import { openInbound, type Opened } from '../openpgp/inbound';
import { classify, SIZE_RULES, UNREADABLE_RULES } from '../rules';
import type { Hit, Snapshot } from '../rules/types';
import { authenticate, fromRewriteFor, snapshot } from '../snapshot';
import { appendAudit } from '../store/audit';
import { transaction, unsynced } from '../store/db';
import { dbOk, dbTrouble } from '../store/db-health';
import { getHeld } from '../store/held';
import { findKey } from '../store/keys';
import { recordSignatureUse } from '../store/signatures';
import {
  endAttempt,
  finishInbound,
  getInbound,
  keepOpened,
  recordInbound,
  retryRequested,
  type AttemptOwner,
  type InboundRow,
} from '../store/inbound';
import { OWNER, ownerAlive } from './deliver';

/** One action per outcome, the moderators' keywords included. Replaceable in tests, read at each message. */
export const ACTIONS = actionsWith({ commands: COMMANDS, startRemove });

/**
 * A message whose handling killed its process this many times is quarantined
 * (MESSAGE_TOO_MANY_ATTEMPTS) instead of being tried a next time. Only crashes count: an attempt
 * that ends with a database error, or that the same living process starts again, does not.
 */
export const MAX_ATTEMPTS = 3;

/** Who handles a message: this process, as the outbox claims name it (runners/deliver.ts). */
const ATTEMPT_OWNER: AttemptOwner = { id: OWNER, alive: ownerAlive };

/** How often the daemon looks for messages put back by `embargo-list inbound retry` (another process). */
export const RETRY_POLL_MS = 5000;

export type ProcessStatus = 'processed' | 'quarantined' | 'already-processed' | 'already-quarantined';

export interface ProcessResult {
  status: ProcessStatus;
  inboundId: number;
  outcome?: string;
}

export interface ProcessOptions {
  /**
   * false: the handling transaction commits without syncing the log (store/db unsynced), and the
   * caller makes it durable with a FULL commit before it tells the source that the message is
   * done (the IMAP fetcher does, once per batch). Until then a power cut can take the handling
   * back, and the message is still at its source, which hands it over again. Default true.
   */
  synced?: boolean;
}

export async function processRaw(
  ctx: Context,
  sourceRef: string,
  raw: Buffer,
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  // The welcome's policy text (actions/confirmation), read once and before any transaction.
  loadEmbargoPolicy(ctx);
  // Without an fsync of its own: the next FULL commit syncs this row too, and until then the
  // message is still at its source, which hands it over again.
  let row: InboundRow;
  try {
    row = unsynced(ctx.db, () =>
      transaction(ctx.db, () => recordInbound(ctx.db, sourceRef, raw, nowIso(ctx), ATTEMPT_OWNER)),
    );
  } catch (err) {
    if (isTransient(err)) dbTrouble(err, 'pipeline');
    throw err;
  }
  if (row.status !== 'received') {
    ctx.log.debug({ sourceRef, inbound: row.id }, `SEEN ${sourceRef} status=${row.status}`);
    return { status: row.status === 'processed' ? 'already-processed' : 'already-quarantined', inboundId: row.id };
  }
  let msg: InboundMessage | undefined;
  try {
    if (row.crashes >= MAX_ATTEMPTS) {
      throw new AppError(
        'MESSAGE_TOO_MANY_ATTEMPTS',
        `the process handling this message died ${row.crashes} times before it finished`,
      );
    }
    // Encrypted to the list's key (RFC 3156): everything after works on the decrypted message, as
    // if it had come in the clear; the inbound row keeps the encrypted original. Encrypted mail
    // the list cannot read is held with the reason, on its header alone.
    const opened = await openInbound(ctx, (owner, address) => findKey(ctx.db, owner, address), raw);
    if (opened.state === 'refused') return handled(unreadable(ctx, row, raw, opened));
    const decrypted = opened.state === 'decrypted' ? opened.message : null;
    const clear = decrypted ?? raw;
    if (opened.state === 'decrypted')
      ctx.log.child({ stage: 'decrypt' }).info(
        {
          inbound: row.id,
          signature: opened.signature.ok ? opened.signature.fingerprint : opened.signature.code,
          mismatched: opened.mismatched,
        },
        `DECRYPTED inbound=${row.id} bytes=${raw.length}->${clear.length}`,
      );
    // Over a size limit: decided on the header alone, and the body is never parsed.
    const screened = screen(ctx, row, clear, decrypted);
    if (screened) return handled(screened);
    msg = await parseMessage(clear);
    const parsed = msg;
    const auth = await authenticate(ctx, parsed, { original: raw, opened });
    const rewriteFrom = await fromRewriteFor(ctx, parsed);
    // An OpenPGP public key the mail carries (a member's new key, a join request's): read here, since OpenPGP.js is asynchronous.
    const attachedKey = await readAttachedKey(parsed.publicKeyParts, ctx.clock());
    const handle = (): ProcessResult =>
      committed(ctx, (tx) => {
        // Another process may have finished this very copy while we parsed it (two MTA retries at once).
        const now = getInbound(ctx.db, row.id)!;
        if (now.status !== 'received')
          return {
            status: now.status === 'processed' ? 'already-processed' : 'already-quarantined',
            inboundId: row.id,
          } as ProcessResult;
        const snap = snapshot(ctx, row.id, parsed, auth, rewriteFrom, attachedKey);
        return act(tx, row, parsed, snap, classify(parsed, snap), decrypted);
      });
    return handled(options.synced === false ? unsynced(ctx.db, handle) : handle());
  } catch (err) {
    // The database being busy, full or failing is not the message's fault: leave it "received"
    // (the source keeps it and tries again) instead of quarantining a real disclosure for good.
    if (isTransient(err)) throw troubled(ctx, row, err);
    try {
      return handled(shunt(ctx, row, msg, err));
    } catch (shuntErr) {
      if (isTransient(shuntErr)) throw troubled(ctx, row, shuntErr);
      throw shuntErr;
    }
  }
}

const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|NOMEM|PROTOCOL)/;

/** A database error that says nothing about the message (busy, full, read-only, I/O), or one caused by it. */
function isTransient(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_SQLITE.test(code)) return true;
  }
  return false;
}

/** The handling committed: the database takes writes (store/db-health). */
function handled(result: ProcessResult): ProcessResult {
  dbOk();
  return result;
}

/**
 * A database error ended the attempt: logged as database trouble (DB_TROUBLE, store/db-health),
 * and the attempt marked as ended, so that the next one, by this process or after a restart, is
 * not taken for a crash. If even that write fails, the mark names this process, which is alive
 * when it tries again. Returns the error to throw.
 */
function troubled(ctx: Context, row: InboundRow, err: unknown): unknown {
  dbTrouble(err, 'pipeline');
  try {
    endAttempt(ctx.db, row.id, ATTEMPT_OWNER.id);
  } catch {
    // The database still fails; see above.
  }
  return err;
}

const LOG_METHODS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

/** A logger whose lines wait in `after` (committed() writes them once the transaction commits). */
function deferredLog(log: Logger, after: (() => void)[]): Logger {
  return new Proxy(log, {
    get(target, prop) {
      if (typeof prop === 'string' && LOG_METHODS.has(prop)) {
        const method = Reflect.get(target, prop, target) as (...args: unknown[]) => void;
        return (...args: unknown[]) => {
          after.push(() => method.apply(target, args));
        };
      }
      if (prop === 'child')
        return (bindings: Bindings, options?: ChildLoggerOptions<never>) =>
          deferredLog(target.child(bindings, options), after);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Runs `work` in one transaction with a context whose log lines and outbox wake-ups wait for the
 * commit: an outcome word (RELAYED, HELD, ..., QUARANTINED) is logged only for work that was kept,
 * never for work rolled back. The lines are written in the order they were logged, right after the
 * commit.
 */
function committed<T>(ctx: Context, work: (tx: Context) => T): T {
  const after: (() => void)[] = [];
  const tx: Context = {
    ...ctx,
    log: deferredLog(ctx.log, after),
    outboxChanged: () => {
      after.push(() => ctx.outboxChanged());
    },
  };
  const result = transaction(ctx.db, () => work(tx));
  for (const fn of after) fn();
  return result;
}

/**
 * The size rules (rules/size) on the header alone (message/header-only): a message over
 * policy.maxMessageBytes or policy.maxMimeParts goes through the table (held) unparsed. Null
 * when it is within the limits.
 */
function screen(ctx: Context, row: InboundRow, raw: Buffer, decrypted: Buffer | null): ProcessResult | null {
  const head = readHeaderOnly(raw);
  return committed(ctx, (tx) => {
    const snap = snapshot(ctx, row.id, head, null);
    const hits = classify(head, snap, SIZE_RULES);
    return hits.length === 0 ? null : act(tx, row, head, snap, hits, decrypted);
  });
}

/** Encrypted mail the list cannot read (rules/encryption): held on its header alone, with the reason. */
function unreadable(
  ctx: Context,
  row: InboundRow,
  raw: Buffer,
  opened: Extract<Opened, { state: 'refused' }>,
): ProcessResult {
  const head = readHeaderOnly(raw);
  ctx.log
    .child({ stage: 'decrypt' })
    .warn(
      { inbound: row.id, code: opened.code, detail: opened.detail },
      `UNREADABLE inbound=${row.id} code=${opened.code}`,
    );
  return committed(ctx, (tx) => {
    const snap = { ...snapshot(ctx, row.id, head, null), unreadable: { code: opened.code, detail: opened.detail } };
    return act(tx, row, head, snap, classify(head, snap, UNREADABLE_RULES));
  });
}

/**
 * Inside the message's one transaction (committed(): `ctx` is the one whose log lines and outbox
 * wake-up wait for the commit): everything it changes, or nothing. `decrypted`: the
 * message decrypted from `row.raw`, kept in the row (opened_raw) when its handling leaves it for a
 * later APPROVE or SEND to relay, since those run in a transaction too and cannot decrypt again.
 */
function act(
  ctx: Context,
  row: InboundRow,
  msg: InboundMessage,
  snap: Snapshot,
  hits: Hit[],
  decrypted: Buffer | null = null,
): ProcessResult {
  const decision = decide(hits, snap);
  const input: ActInput = { inboundId: row.id, msg, decision, snap, receivedAt: row.received_at };
  // The table is keyed by outcome, so each action gets the decision of its own outcome; the
  // compiler cannot follow that through an index, hence the one widening here.
  const result = (ACTIONS[decision.outcome] as (c: Context, i: ActInput) => ActResult)(ctx, input);
  // The OpenPGP signature that authenticated this message authenticates no other (snapshot unlessReplayed).
  if (snap.auth?.authenticated && snap.auth.signature)
    recordSignatureUse(ctx.db, { ...snap.auth.signature, inboundId: row.id }, ctx.clock());
  if (decrypted && (getHeld(ctx.db, row.id)?.relayable || result.disposition === 'RETURNED'))
    keepOpened(ctx.db, row.id, decrypted);
  finishInbound(
    ctx.db,
    row.id,
    {
      status: 'processed',
      outcome: decision.outcome,
      hits,
      messageId: msg.messageId,
      sender: msg.from.address,
      subject: msg.subject,
    },
    nowIso(ctx),
  );
  const reasons = decision.outcome === 'relay' ? '' : ` reason=${decision.label}`;
  ctx.log.child({ stage: 'act' }).info(
    {
      inbound: row.id,
      messageId: msg.messageId,
      from: msg.from.address,
      outcome: decision.outcome,
      label: decision.label,
      copies: result.copies,
      hits: hits.map((h) => h.rule),
    },
    `${result.disposition} ${msg.messageId ?? '(no message-id)'}${reasons} copies=${result.copies}`,
  );
  if (result.copies > 0) ctx.outboxChanged();
  return { status: 'processed', inboundId: row.id, outcome: decision.outcome };
}

/**
 * shunt: the message is kept, marked quarantined with a code, and never retried by itself; the
 * moderators are told in the same transaction (templates/moderator.notice.quarantined), with the
 * message attached. A message that could not be parsed still gets its Message-ID, sender and
 * subject from its header alone (message/header-only).
 */
function shunt(ctx: Context, row: InboundRow, msg: InboundMessage | undefined, err: unknown): ProcessResult {
  const code = errorCode(err);
  const message = errorMessage(err);
  const head = msg ?? headerOf(row.raw);
  const sender = head && head.from.address !== UNKNOWN_SENDER ? head.from.address : null;
  const messageId = head?.messageId ?? null;
  committed(ctx, (tx) => {
    finishInbound(
      tx.db,
      row.id,
      {
        status: 'quarantined',
        outcome: 'quarantine',
        hits: [],
        messageId,
        sender,
        subject: head?.subject || null,
        errorCode: code,
        errorMessage: message,
      },
      nowIso(tx),
    );
    appendAudit(tx.db, {
      at: nowIso(tx),
      actor: 'daemon',
      action: 'inbound.quarantine',
      object: `inbound:${row.id}`,
      messageId,
      detail: { code, message },
    });
    const copies = tellModerators(tx, row, { code, message, sender, messageId, subject: head?.subject ?? '' });
    const level = code === 'HANDLER_FAILED' ? 'error' : 'warn';
    tx.log.child({ stage: 'shunt' })[level](
      {
        inbound: row.id,
        sourceRef: row.source_ref,
        messageId,
        from: sender,
        code,
        copies,
        err: code === 'HANDLER_FAILED' ? err : undefined,
      },
      `QUARANTINED ${messageId ?? row.source_ref} code=${code} reason="${message}" copies=${copies}`,
    );
    if (copies > 0) tx.outboxChanged();
  });
  return { status: 'quarantined', inboundId: row.id, outcome: 'quarantine' };
}

/** The header of a message that could not be parsed, or null when not even that can be read. */
function headerOf(raw: Buffer): InboundMessage | null {
  try {
    return readHeaderOnly(raw);
  } catch {
    return null;
  }
}

/**
 * moderator.notice.quarantined, with the message attached as it came in (message/rfc822), or its
 * header alone when it is over policy.maxMessageBytes. A notice that cannot be written (a template
 * error) does not keep the message out of quarantine: it is logged (QUARANTINE_NOTICE_FAILED) and
 * the rest commits; a database error fails the whole shunt, as any other write. Returns the copies.
 */
function tellModerators(
  ctx: Context,
  row: InboundRow,
  what: { code: string; message: string; sender: string | null; messageId: string | null; subject: string },
): number {
  const cap = ctx.config.policy.maxMessageBytes;
  const attached = row.raw.length <= cap;
  const attachment = attached
    ? { contentType: 'message/rfc822' as const, filename: `quarantined-${row.id}.eml`, content: row.raw }
    : {
        contentType: 'text/rfc822-headers' as const,
        filename: `quarantined-${row.id}-header.txt`,
        content: headerBytes(row.raw).subarray(0, cap),
      };
  try {
    // A savepoint: a notice that fails takes back only what it wrote itself.
    return ctx.db.transaction(() =>
      sendTemplate(ctx, row.id, {
        template: 'moderator.notice.quarantined',
        to: ctx.config.list.moderators,
        attachments: [attachment],
        params: {
          id: row.id,
          code: what.code,
          reason: what.message,
          from: what.sender ?? '(unknown sender)',
          subject: what.subject || '(no subject)',
          messageId: what.messageId ?? '(none)',
          receivedAt: row.received_at,
          size: row.raw.length,
          cap,
          attached,
          crashes: row.crashes,
          tooManyAttempts: what.code === 'MESSAGE_TOO_MANY_ATTEMPTS',
        },
      }),
    )();
  } catch (err) {
    if (isTransient(err)) throw err;
    ctx.log
      .child({ stage: 'shunt' })
      .error(
        { inbound: row.id, err },
        `QUARANTINE_NOTICE_FAILED inbound=${row.id} the moderators are not told: ${errorMessage(err)}`,
      );
    return 0;
  }
}

/** The header section of a raw message, up to and including its blank line (all of it when it has none). */
function headerBytes(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return raw.subarray(0, crlf + 4);
  return lf >= 0 ? raw.subarray(0, lf + 2) : raw;
}

/**
 * Handles the messages `embargo-list inbound retry` put back, from the database (their source has
 * moved them to Quarantine already), oldest request first, one at a time. A crash while handling
 * one counts as for any message. Returns how many were handled.
 */
export async function processRetried(ctx: Context, stopping: () => boolean = () => false): Promise<number> {
  let handled = 0;
  for (const id of retryRequested(ctx.db)) {
    if (stopping()) break;
    const row = getInbound(ctx.db, id);
    if (!row || row.status !== 'received') continue;
    const result = await processRaw(ctx, row.source_ref, row.raw);
    ctx.log
      .child({ stage: 'retry' })
      .info(
        { inbound: id, status: result.status, outcome: result.outcome },
        `RETRIED inbound=${id} status=${result.status}`,
      );
    handled += 1;
  }
  return handled;
}

/**
 * The daemon's side of `embargo-list inbound retry`: at start, and every RETRY_POLL_MS, the
 * messages put back are handled (processRetried). stop() lets the message in hand finish.
 */
export class RetryRunner {
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private readonly log;

  constructor(
    private readonly ctx: Context,
    private readonly pollMs = RETRY_POLL_MS,
  ) {
    this.log = ctx.log.child({ stage: 'retry' });
  }

  start(): void {
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await processRetried(this.ctx, () => this.stopping);
      } catch (err) {
        // A database error is logged as such (DB_TROUBLE) by processRaw; anything else here.
        if (!isTransient(err)) this.log.error({ err }, `RETRY_FAILED ${errorMessage(err)}; trying again`);
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }
}

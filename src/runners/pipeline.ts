/**
 * The journey of one message after fetch: record, parse, classify, decide, act, all or nothing;
 * an error at any stage shunts the message to quarantine with its code. Sources (IMAP, Maildir,
 * ingest) call processRaw one message at a time, in order, and move the message afterwards.
 */
import { actionsWith } from '../actions';
import type { ActInput, ActResult } from '../actions/types';
import { decide } from '../chains/inbound';
import { COMMANDS } from '../commands';
import { startRemove } from '../commands/remove';
import { nowIso, type Context } from '../context';
import { AppError, errorCode, errorMessage } from '../errors';
import { readHeaderOnly } from '../message/header-only';
import { parseMessage, type InboundMessage } from '../message/parse';
import { readAttachedKey } from '../openpgp/attached-key';
import { openInbound, type Opened } from '../openpgp/inbound';
import { classify, SIZE_RULES, UNREADABLE_RULES } from '../rules';
import type { Hit, Snapshot } from '../rules/types';
import { authenticate, fromRewriteFor, snapshot } from '../snapshot';
import { appendAudit } from '../store/audit';
import { transaction, unsynced } from '../store/db';
import { getHeld } from '../store/held';
import { findKey } from '../store/keys';
import { finishInbound, getInbound, keepOpened, recordInbound, type InboundRow } from '../store/inbound';

/** One action per outcome, the moderators' keywords included. Replaceable in tests, read at each message. */
export const ACTIONS = actionsWith({ commands: COMMANDS, startRemove });

/** A copy recorded this many times without being finished crashed the daemon each time. */
export const MAX_ATTEMPTS = 3;

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
  // Without an fsync of its own: the next FULL commit syncs this row too, and until then the
  // message is still at its source, which hands it over again.
  const row = unsynced(ctx.db, () => transaction(ctx.db, () => recordInbound(ctx.db, sourceRef, raw, nowIso(ctx))));
  if (row.status !== 'received') {
    ctx.log.debug({ sourceRef, inbound: row.id }, `SEEN ${sourceRef} status=${row.status}`);
    return { status: row.status === 'processed' ? 'already-processed' : 'already-quarantined', inboundId: row.id };
  }
  let msg: InboundMessage | undefined;
  try {
    if (row.attempts > MAX_ATTEMPTS) {
      throw new AppError(
        'MESSAGE_TOO_MANY_ATTEMPTS',
        `handling this message was started ${row.attempts - 1} times and never finished`,
      );
    }
    // Encrypted to the list's key (RFC 3156): everything after works on the decrypted message, as
    // if it had come in the clear; the inbound row keeps the encrypted original. Encrypted mail
    // the list cannot read is held with the reason, on its header alone.
    const opened = await openInbound(ctx, (owner, address) => findKey(ctx.db, owner, address), raw);
    if (opened.state === 'refused') return unreadable(ctx, row, raw, opened);
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
    if (screened) return screened;
    msg = await parseMessage(clear);
    const parsed = msg;
    const auth = await authenticate(ctx, parsed, { original: raw, opened });
    const rewriteFrom = await fromRewriteFor(ctx, parsed);
    // An OpenPGP public key the mail carries (a member's new key, a join request's): read here, since OpenPGP.js is asynchronous.
    const attachedKey = await readAttachedKey(parsed.publicKeyParts, ctx.clock());
    const handle = (): ProcessResult =>
      transaction(ctx.db, () => {
        // Another process may have finished this very copy while we parsed it (two MTA retries at once).
        const now = getInbound(ctx.db, row.id)!;
        if (now.status !== 'received')
          return {
            status: now.status === 'processed' ? 'already-processed' : 'already-quarantined',
            inboundId: row.id,
          } as ProcessResult;
        const snap = snapshot(ctx, row.id, parsed, auth, rewriteFrom, attachedKey);
        return act(ctx, row, parsed, snap, classify(parsed, snap), decrypted);
      });
    return options.synced === false ? unsynced(ctx.db, handle) : handle();
  } catch (err) {
    // The database being busy, full or failing is not the message's fault: leave it "received"
    // (the source keeps it and tries again) instead of quarantining a real disclosure for good.
    if (isTransient(err)) throw err;
    return shunt(ctx, row, msg, err);
  }
}

const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|NOMEM|PROTOCOL)/;

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && TRANSIENT_SQLITE.test(code);
}

/**
 * The size rules (rules/size) on the header alone (message/header-only): a message over
 * policy.maxMessageBytes or policy.maxMimeParts goes through the table (held) unparsed. Null
 * when it is within the limits.
 */
function screen(ctx: Context, row: InboundRow, raw: Buffer, decrypted: Buffer | null): ProcessResult | null {
  const head = readHeaderOnly(raw);
  return transaction(ctx.db, () => {
    const snap = snapshot(ctx, row.id, head, null);
    const hits = classify(head, snap, SIZE_RULES);
    return hits.length === 0 ? null : act(ctx, row, head, snap, hits, decrypted);
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
  return transaction(ctx.db, () => {
    const snap = { ...snapshot(ctx, row.id, head, null), unreadable: { code: opened.code, detail: opened.detail } };
    return act(ctx, row, head, snap, classify(head, snap, UNREADABLE_RULES));
  });
}

/**
 * Inside the message's one transaction: everything it changes, or nothing. `decrypted`: the
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
  if (result.copies > 0) queueMicrotask(ctx.outboxChanged);
  return { status: 'processed', inboundId: row.id, outcome: decision.outcome };
}

/** shunt: the message is kept, marked quarantined with a code, and never retried by itself. */
function shunt(ctx: Context, row: InboundRow, msg: InboundMessage | undefined, err: unknown): ProcessResult {
  const code = errorCode(err);
  const message = errorMessage(err);
  transaction(ctx.db, () => {
    finishInbound(
      ctx.db,
      row.id,
      {
        status: 'quarantined',
        outcome: 'quarantine',
        hits: [],
        messageId: msg?.messageId,
        sender: msg?.from.address,
        subject: msg?.subject,
        errorCode: code,
        errorMessage: message,
      },
      nowIso(ctx),
    );
    appendAudit(ctx.db, {
      at: nowIso(ctx),
      actor: 'daemon',
      action: 'inbound.quarantine',
      object: `inbound:${row.id}`,
      messageId: msg?.messageId,
      detail: { code, message },
    });
  });
  const level = code === 'HANDLER_FAILED' ? 'error' : 'warn';
  ctx.log
    .child({ stage: 'shunt' })
    [level](
      { inbound: row.id, sourceRef: row.source_ref, code, err: code === 'HANDLER_FAILED' ? err : undefined },
      `QUARANTINED ${msg?.messageId ?? row.source_ref} code=${code} reason="${message}"`,
    );
  return { status: 'quarantined', inboundId: row.id, outcome: 'quarantine' };
}

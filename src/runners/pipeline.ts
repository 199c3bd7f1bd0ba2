/**
 * The journey of one message after fetch: record, parse, classify, decide, act, all or nothing;
 * an error at any stage shunts the message to quarantine with its code. Sources (IMAP, Maildir,
 * ingest) call processRaw one message at a time, in order, and move the message afterwards.
 */
import { decide } from '../chains/inbound';
import { bounceAddress } from '../config';
import { dmarcPolicyFor, isStrict } from '../policy/dmarc-policy';
import { ACTIONS } from '../actions';
import { nowIso, type Context } from '../context';
import { AppError, errorCode, errorMessage } from '../errors';
import { parseMessage, type InboundMessage } from '../message/parse';
import { classify } from '../rules';
import type { Snapshot } from '../rules/types';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import { finishInbound, getInbound, recordInbound, wasRelayed, type InboundRow } from '../store/inbound';
import { isActiveMember } from '../store/members';
import { findToken } from '../store/tokens';
import { headerSafe, headerValue, splitMessage } from '../message/headers';
import { parseAddressList } from '../message/address';
import { holdMessage } from '../actions/hold';
import libmime from 'libmime';
import { ownReplyText } from '../message/reply';
import { readKeywords } from '../message/keyword-reading';
import { isLeakReport, threadNumberIn } from '../policy/leak-report';
import { getDisclosure, threadOf } from '../store/disclosures';
import { findTokens } from '../message/tokens';
import { authenticateSender, type AuthVerdict } from '../policy/sender-auth';
import { ALL_KEYWORDS } from '../rules/keywords';

/** A copy recorded this many times without being finished crashed the daemon each time. */
export const MAX_ATTEMPTS = 3;

export type ProcessStatus = 'processed' | 'quarantined' | 'already-processed' | 'already-quarantined';

export interface ProcessResult { status: ProcessStatus; inboundId: number; outcome?: string }

export async function processRaw(ctx: Context, sourceRef: string, raw: Buffer): Promise<ProcessResult> {
  const row = transaction(ctx.db, () => recordInbound(ctx.db, sourceRef, raw, nowIso(ctx)));
  if (row.status !== 'received') {
    ctx.log.debug({ sourceRef, inbound: row.id }, `SEEN ${sourceRef} status=${row.status}`);
    return { status: row.status === 'processed' ? 'already-processed' : 'already-quarantined', inboundId: row.id };
  }
  let msg: InboundMessage | undefined;
  try {
    if (row.attempts > MAX_ATTEMPTS) {
      throw new AppError('MESSAGE_TOO_MANY_ATTEMPTS', `handling this message was started ${row.attempts - 1} times and never finished`);
    }
    const { maxMessageBytes, maxMimeParts } = ctx.config.policy;
    if (raw.length > maxMessageBytes) return holdUnparsed(ctx, row, raw, 'too-large', `it is ${raw.length} bytes, over the limit of ${maxMessageBytes} (policy.maxMessageBytes)`);
    const parts = countMimeParts(raw, maxMimeParts + 1);
    if (parts > maxMimeParts) return holdUnparsed(ctx, row, raw, 'too-many-parts', `it has more than ${maxMimeParts} MIME parts (policy.maxMimeParts)`);
    msg = await parseMessage(raw);
    const parsed = msg;
    const auth = await authenticate(ctx, parsed);
    const rewriteFrom = await fromRewriteFor(ctx, parsed);
    return transaction(ctx.db, () => {
      // Another process may have finished this very copy while we parsed it (two MTA retries at once).
      const now = getInbound(ctx.db, row.id)!;
      if (now.status !== 'received') return { status: now.status === 'processed' ? 'already-processed' : 'already-quarantined', inboundId: row.id } as ProcessResult;
      return act(ctx, row, parsed, auth, rewriteFrom);
    });
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
 * Over policy.maxMessageBytes or policy.maxMimeParts: held for a moderator without parsing the
 * body. Only the header is read, to name the sender and the subject in the moderators' mail.
 */
/** Content-Type headers in the raw bytes, counted up to `stop`: a cap on parts (and so on nesting) before parsing. */
function countMimeParts(raw: Buffer, stop: number): number {
  let count = 0;
  const re = /^content-type:/gim;
  const text = raw.toString('latin1');
  while (count < stop && re.exec(text) !== null) count += 1;
  return count;
}

function holdUnparsed(ctx: Context, row: InboundRow, raw: Buffer, label: string, reason: string): ProcessResult {
  const fields = new Map<string, string>();
  for (const h of splitMessage(raw).headers) {
    const name = h.name.toLowerCase();
    if (name !== '' && !fields.has(name)) fields.set(name, headerValue(h)); // the first of each, as readers do
  }
  const sender = parseAddressList(fields.get('from'))[0]?.address ?? '(unknown sender)';
  const recipients = [...parseAddressList(fields.get('to')), ...parseAddressList(fields.get('cc'))].map((a) => a.address);
  const messageId = fields.get('message-id')?.match(/<[^<>\s]+>/)?.[0] ?? null;
  const subject = headerSafe(libmime.decodeWords(fields.get('subject') ?? ''));
  return transaction(ctx.db, () => {
    const copies = holdMessage(ctx, { inboundId: row.id, sender, subject, messageId, label, reasons: [reason], relayable: recipients.includes(ctx.config.list.address.toLowerCase()), receivedAt: row.received_at });
    finishInbound(ctx.db, row.id, { status: 'processed', outcome: 'hold', hits: [{ rule: label, reason }], messageId, sender, subject }, nowIso(ctx));
    ctx.log.child({ stage: 'act' }).info({ inbound: row.id, size: raw.length }, `HELD ${messageId ?? row.source_ref} reason=${label} copies=${copies}`);
    if (copies > 0) queueMicrotask(ctx.outboxChanged);
    return { status: 'processed' as const, inboundId: row.id, outcome: 'hold' };
  });
}

export function isModerator(ctx: Pick<Context, 'config'>, address: string): boolean {
  return ctx.config.list.moderators.some((m) => m.toLowerCase() === address);
}

/**
 * Sender authentication is looked up (headers, and DNS when verifyDkim is on) before the
 * transaction, only for mail whose From is a moderator (nobody else's keyword counts), for posts
 * to the list when they must be authenticated, and for would-be join requests.
 */
export async function authenticate(ctx: Context, msg: InboundMessage): Promise<AuthVerdict | null> {
  const { security, list } = ctx.config;
  const toList = [...msg.to, ...msg.cc].some((a) => a.address === list.address.toLowerCase());
  // A would-be join request (to the requests address, no token of ours): only an authenticated one
  // may replace the same applicant's pending request (actions/join-request).
  const joinRequest = !toList && findTokens(msg).length === 0 && [...msg.to, ...msg.cc].some((a) => a.address === list.requestsAddress.toLowerCase());
  if (!isModerator(ctx, msg.from.address) && !(toList && security.requireAuthenticatedPosts) && !joinRequest) return null;
  const headers = splitMessage(msg.raw).headers.filter((h) => h.name !== '').map((h) => ({ name: h.name, value: headerValue(h) }));
  return authenticateSender(msg.raw, headers, msg.from.address, {
    trustedAuthservIds: security.trustedAuthservIds, maxReceivedAbove: security.maxReceivedAbove, verify: security.verifyDkim, resolver: ctx.resolver,
  });
}

/** What the rules may know: read inside the transaction, so it cannot change under them. */
/** relay.fromRewrite "dmarc": the author's published policy decides (looked up before the transaction). */
export async function fromRewriteFor(ctx: Context, msg: InboundMessage): Promise<boolean> {
  const mode = ctx.config.relay.fromRewrite;
  if (mode !== 'dmarc') return mode === 'always';
  const toList = [...msg.to, ...msg.cc].some((a) => a.address === ctx.config.list.address.toLowerCase());
  if (!toList) return true;
  return isStrict(await dmarcPolicyFor(msg.from.address.slice(msg.from.address.lastIndexOf('@') + 1), ctx.resolver));
}

export function snapshot(ctx: Context, inboundId: number, msg: InboundMessage, auth: AuthVerdict | null, rewriteFrom: boolean = ctx.config.relay.fromRewrite !== 'never'): Snapshot {
  const { firstLine, keyword, disagreement } = readKeywords(msg, ALL_KEYWORDS);
  const bySubject = /\[#(\d{1,9})\]/.exec(msg.subject);
  const thread = threadOf(ctx.db, [msg.inReplyTo ?? '', ...msg.references].filter(Boolean))
    ?? (bySubject ? getDisclosure(ctx.db, Number(bySubject[1])) : undefined);
  const named = threadNumberIn(`${msg.subject}\n${ownReplyText(msg.text)}`);
  return {
    listAddress: ctx.config.list.address,
    requestsAddress: ctx.config.list.requestsAddress,
    bounceAddress: bounceAddress(ctx.config),
    now: ctx.clock(),
    senderIsMember: isActiveMember(ctx.db, msg.from.address),
    senderIsModerator: isModerator(ctx, msg.from.address),
    alreadyRelayed: msg.messageId !== null && wasRelayed(ctx.db, msg.messageId, inboundId),
    tokens: findTokens(msg).map((token) => ({ token, row: findToken(ctx.db, token) })),
    keyword,
    keywordDisagreement: disagreement,
    auth,
    requireAuthenticatedPosts: ctx.config.security.requireAuthenticatedPosts,
    thread: thread ?? null,
    namedThread: thread ? null : (named !== null ? getDisclosure(ctx.db, named) ?? null : null),
    isLeak: isLeakReport(msg.subject, firstLine),
    membersMayOpenThreads: ctx.config.policy.membersMayOpenThreads,
    rewriteFrom,
  };
}

/** Inside the message's one transaction: everything it changes, or nothing. */
function act(ctx: Context, row: InboundRow, msg: InboundMessage, auth: AuthVerdict | null, rewriteFrom: boolean): ProcessResult {
  const snap = snapshot(ctx, row.id, msg, auth, rewriteFrom);
  const hits = classify(msg, snap);
  const decision = decide(hits);
  const result = ACTIONS[decision.outcome](ctx, { inboundId: row.id, msg, decision, snap, receivedAt: row.received_at });
  finishInbound(ctx.db, row.id, {
    status: 'processed', outcome: decision.outcome, hits, messageId: msg.messageId, sender: msg.from.address, subject: msg.subject,
  }, nowIso(ctx));
  const reasons = decision.outcome === 'relay' ? '' : ` reason=${decision.label}`;
  ctx.log.child({ stage: 'act' }).info(
    { inbound: row.id, messageId: msg.messageId, from: msg.from.address, outcome: decision.outcome, label: decision.label, copies: result.copies, hits: hits.map((h) => h.rule) },
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
    finishInbound(ctx.db, row.id, {
      status: 'quarantined', outcome: 'quarantine', hits: [], messageId: msg?.messageId, sender: msg?.from.address, subject: msg?.subject,
      errorCode: code, errorMessage: message,
    }, nowIso(ctx));
    appendAudit(ctx.db, { at: nowIso(ctx), actor: 'daemon', action: 'inbound.quarantine', object: `inbound:${row.id}`, messageId: msg?.messageId, detail: { code, message } });
  });
  const level = code === 'HANDLER_FAILED' ? 'error' : 'warn';
  ctx.log.child({ stage: 'shunt' })[level]({ inbound: row.id, sourceRef: row.source_ref, code, err: code === 'HANDLER_FAILED' ? err : undefined }, `QUARANTINED ${msg?.messageId ?? row.source_ref} code=${code} reason="${message}"`);
  return { status: 'quarantined', inboundId: row.id, outcome: 'quarantine' };
}

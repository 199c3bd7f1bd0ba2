/**
 * What the rules may know of a message besides its bytes: the sender's authentication and the
 * author's DMARC policy (looked up before the message's transaction: DNS may be slow), and the
 * state read inside it (members, moderators, tokens, threads). Built once per message, by the
 * pipeline (runners/pipeline) and by `explain` (admin/explain) alike; the rules never read more.
 */
import { bounceAddress } from './config';
import type { Context } from './context';
import { domainOf } from './message/address';
import { headerValue, splitMessage } from './message/headers';
import { readKeywords } from './message/keyword-reading';
import type { InboundMessage } from './message/parse';
import { ownReplyText } from './message/reply';
import { findTokens, findTokensInText, TEXT_PURPOSES } from './message/tokens';
import type { AttachedKey } from './openpgp/attached-key';
import { dmarcPolicyFor, isStrict } from './policy/dmarc-policy';
import { isLeakReport, threadNumberIn } from './policy/leak-report';
import { signatureEvidence, type Opened } from './openpgp/inbound';
import { authenticateSender, judgeSignature, type AuthVerdict } from './policy/sender-auth';
import { ALL_KEYWORDS } from './rules/keywords';
import type { Snapshot } from './rules/types';
import { findKey } from './store/keys';
import { getDisclosure, threadOf } from './store/disclosures';
import { wasRelayed } from './store/inbound';
import { isActiveMember } from './store/members';
import { signatureUsed } from './store/signatures';
import { findToken } from './store/tokens';

export function isModerator(ctx: Pick<Context, 'config'>, address: string): boolean {
  return ctx.config.list.moderators.some((m) => m.toLowerCase() === address);
}

/** The message as it came, when what is handled was decrypted from it (openpgp/inbound openInbound). */
export interface Received {
  original: Buffer;
  opened: Opened;
}

/**
 * Sender authentication is looked up (headers, and DNS when verifyDkim is on) before the
 * transaction, only for mail whose From is a moderator (nobody else's keyword counts), for posts
 * to the list when they must be authenticated, and for would-be join requests. DKIM is judged on
 * the message as it came (a decrypted one is not what was signed); a moderator's OpenPGP
 * signature is weighed in beside it (policy/sender-auth judgeSignature).
 */
export async function authenticate(
  ctx: Context,
  msg: InboundMessage,
  received: Received = { original: msg.raw, opened: { state: 'clear' } },
): Promise<AuthVerdict | null> {
  const { security, list } = ctx.config;
  const toList = [...msg.to, ...msg.cc].some((a) => a.address === list.address.toLowerCase());
  // A would-be join request (to the requests address, no token of ours): only an authenticated one
  // may replace the same applicant's pending request (actions/join-request).
  // A mail there that carries an OpenPGP key may be a member's new key (actions/member-key), which
  // is taken only from an authenticated sender, whatever the mail answers.
  const joinRequest =
    !toList &&
    (findTokens(msg).length === 0 || msg.publicKeyParts.length > 0) &&
    [...msg.to, ...msg.cc].some((a) => a.address === list.requestsAddress.toLowerCase());
  if (!isModerator(ctx, msg.from.address) && !(toList && security.requireAuthenticatedPosts) && !joinRequest)
    return null;
  const raw = received.original;
  const headers = splitMessage(raw)
    .headers.filter((h) => h.name !== '')
    .map((h) => ({ name: h.name, value: headerValue(h) }));
  const dkim = await authenticateSender(raw, headers, msg.from.address, {
    trustedAuthservIds: security.trustedAuthservIds,
    maxReceivedAbove: security.maxReceivedAbove,
    verify: security.verifyDkim,
    resolver: ctx.resolver,
  });
  if (!isModerator(ctx, msg.from.address)) return dkim;
  const signature = await signatureEvidence(
    ctx,
    (owner, address) => findKey(ctx.db, owner, address),
    msg.from.address,
    raw,
    received.opened,
  );
  return signature ? judgeSignature(dkim, signature, msg.from.address, ctx.clock()) : dkim;
}

/** relay.fromRewrite "dmarc": the author's published policy decides (looked up before the transaction). */
export async function fromRewriteFor(ctx: Context, msg: InboundMessage): Promise<boolean> {
  const mode = ctx.config.relay.fromRewrite;
  if (mode !== 'dmarc') return mode === 'always';
  const toList = [...msg.to, ...msg.cc].some((a) => a.address === ctx.config.list.address.toLowerCase());
  if (!toList) return true;
  return isStrict(await dmarcPolicyFor(domainOf(msg.from.address), ctx.resolver));
}

/** What the rules may know: read inside the transaction, so it cannot change under them. */
export function snapshot(
  ctx: Context,
  inboundId: number,
  msg: InboundMessage,
  auth: AuthVerdict | null,
  rewriteFrom: boolean = ctx.config.relay.fromRewrite !== 'never',
  attachedKey: AttachedKey | null = null,
): Snapshot {
  const { firstLine, keyword, disagreement } = readKeywords(msg, ALL_KEYWORDS);
  const bySubject = /\[#(\d{1,9})\]/.exec(msg.subject);
  const thread =
    threadOf(ctx.db, [msg.inReplyTo ?? '', ...msg.references].filter(Boolean)) ??
    (bySubject ? getDisclosure(ctx.db, Number(bySubject[1])) : undefined);
  const named = threadNumberIn(`${msg.subject}\n${ownReplyText(msg.text)}`);
  return {
    listAddress: ctx.config.list.address,
    requestsAddress: ctx.config.list.requestsAddress,
    bounceAddress: bounceAddress(ctx.config),
    now: ctx.clock(),
    senderIsMember: isActiveMember(ctx.db, msg.from.address),
    senderIsModerator: isModerator(ctx, msg.from.address),
    alreadyRelayed: msg.messageId !== null && wasRelayed(ctx.db, msg.messageId, inboundId),
    tokens: tokensOf(ctx, msg),
    keyword,
    keywordDisagreement: disagreement,
    auth: unlessReplayed(ctx, auth),
    requireAuthenticatedPosts: ctx.config.security.requireAuthenticatedPosts,
    thread: thread ?? null,
    namedThread: thread ? null : named !== null ? (getDisclosure(ctx.db, named) ?? null) : null,
    isLeak: isLeakReport(msg.subject, firstLine),
    membersMayOpenThreads: ctx.config.policy.membersMayOpenThreads,
    rewriteFrom,
    maxMessageBytes: ctx.config.policy.maxMessageBytes,
    maxMimeParts: ctx.config.policy.maxMimeParts,
    attachedKey,
  };
}

/**
 * An OpenPGP signature authenticates one message: the same signature already used by another one
 * (a captured mail sent again under a new Message-ID) does not authenticate this one.
 */
function unlessReplayed(ctx: Context, auth: AuthVerdict | null): AuthVerdict | null {
  if (auth?.method !== 'openpgp-signature' || !auth.signature) return auth;
  const used = signatureUsed(ctx.db, auth.signature.id);
  if (!used) return auth;
  const decidedBy = `openpgp signature by ${auth.signature.fingerprint} already authenticated inbound #${used.inbound_id ?? '?'} at ${used.used_at}: this is a replay`;
  return {
    ...auth,
    authenticated: false,
    method: null,
    decidedBy,
    evidence: [...auth.evidence, `not authenticated: ${decidedBy}`],
    failed: true,
    signedTokens: [],
  };
}

/** Our tokens in the header and subject; in the text, only those of TEXT_PURPOSES (an unknown one there is nobody's). */
function tokensOf(ctx: Context, msg: InboundMessage): Snapshot['tokens'] {
  const inHeader = findTokens(msg);
  const found = inHeader.map((token) => ({ token, row: findToken(ctx.db, token) }));
  for (const token of findTokensInText(msg.text)) {
    if (inHeader.includes(token)) continue;
    const row = findToken(ctx.db, token);
    if (row && TEXT_PURPOSES.includes(row.purpose)) found.push({ token, row });
  }
  return found;
}

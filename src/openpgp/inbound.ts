/**
 * OpenPGP on what the list receives, before handling: a message encrypted to the list's key
 * (RFC 3156 multipart/encrypted) is decrypted, and the rest of the pipeline handles the
 * decrypted message as if it had come in the clear; and the evidence of an OpenPGP signature
 * (multipart/signed, or a signature inside the encryption) for the moderators' commands.
 *
 * Where plaintext rests: the decrypted bytes live in memory while the message is handled; the
 * inbound row keeps the encrypted original; what handling stores of any clear message (the
 * inbound row's subject, the disclosure and the outbox copies of a relayed post, the held
 * post's subject) holds the decrypted text as it would hold a clear one. Nothing here logs
 * plaintext: refusals log their code and openpgp.js's sentence, never the message.
 */
import { createHash } from 'node:crypto';
import type { Context } from '../context';
import { readHeaderOnly } from '../message/header-only';
import { TOKEN_PATTERN } from '../message/tokens';
import type { KeyOwner, KeyRow } from '../store/keys';
import { keyState } from './keys';
import { openpgp, type Key } from './lib';
import { contentTypeOf, parseEntity, splitMultipart, toCrlf, writeEntity } from './mime-entity';
import { decryptMime, verifyMime, type DecryptCode, type SignatureVerdict, type SignedBy } from './pgp-mime';

/** Why a message encrypted to the list could not be read; NO_LIST_KEY: the list has no key (openpgp.enabled off). */
export type UnreadableCode = Exclude<DecryptCode, 'NOT_ENCRYPTED'> | 'NO_LIST_KEY';

export type Opened =
  /** Not encrypted: handled as it came. */
  | { state: 'clear' }
  | {
      state: 'decrypted';
      /** The decrypted message (outer routing fields, inner entity), handled instead of the original. */
      message: Buffer;
      signature: SignatureVerdict;
      /** What the signature covers, as a message of its own; null when it is unsigned. */
      signedContent: Buffer | null;
      /** Protected header fields that disagree with the outside (lower-case names). */
      mismatched: string[];
    }
  | { state: 'refused'; code: UnreadableCode; detail: string };

/** Any sign of OpenPGP encryption in the bytes: only then is decryptMime asked (clear mail costs one scan). */
const ENCRYPTED_TYPE = /^content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart\/encrypted|application\/pgp-encrypted)\b/im;
const SIGNED_TYPE = /^content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart\/signed|application\/pgp-signature)\b/im;

/**
 * The stored key of a member or moderator (store/keys findKey, bound to the database by the
 * caller: openpgp/ does not read the store itself).
 */
export type KeyLookup = (owner: KeyOwner, address: string) => KeyRow | undefined;

/** Registered keys that may have signed a message from `from`: every moderator's, and the From's own member key. */
async function candidateKeys(
  ctx: Context,
  findKey: KeyLookup,
  from: string,
): Promise<{ keys: Key[]; owners: string[] }> {
  const rows: { row: KeyRow; owner: string }[] = [];
  for (const m of ctx.config.list.moderators) {
    const row = findKey('moderator', m);
    if (row) rows.push({ row, owner: `moderator ${m}` });
  }
  const member = findKey('member', from);
  if (member) rows.push({ row: member, owner: `member ${from}` });
  const keys: Key[] = [];
  const owners: string[] = [];
  for (const { row, owner } of rows) {
    try {
      keys.push(await openpgp.readKey({ armoredKey: row.armored }));
      owners.push(owner);
    } catch {
      // A stored key that no longer reads signs nothing.
    }
  }
  return { keys, owners };
}

/**
 * The message to handle: the original when it is not encrypted; the decrypted message when it is
 * encrypted to the list's key; a refusal (held by the rule encrypted-unreadable) otherwise.
 * Never throws for the message's sake.
 */
export async function openInbound(ctx: Context, findKey: KeyLookup, raw: Buffer): Promise<Opened> {
  if (!ENCRYPTED_TYPE.test(raw.subarray(0, Math.min(raw.length, 4 * 1024 * 1024)).toString('latin1')))
    return { state: 'clear' };
  const maxBytes = ctx.config.policy.maxMessageBytes;
  if (!ctx.listKey) {
    // Still say whether it is encrypted at all: a clear mail naming the type in a text part is clear.
    const probe = await decryptMime(raw, [], { maxBytes });
    if (!probe.ok) {
      if (probe.code === 'NOT_ENCRYPTED') return { state: 'clear' };
      if (probe.code !== 'NOT_FOR_US' && probe.code !== 'MALFORMED')
        return { state: 'refused', code: probe.code, detail: probe.detail };
    }
    return {
      state: 'refused',
      code: 'NO_LIST_KEY',
      detail: 'the message is encrypted, and the list has no OpenPGP key (openpgp.enabled is off)',
    };
  }
  const from = readHeaderOnly(raw).from.address;
  const { keys } = await candidateKeys(ctx, findKey, from);
  const result = await decryptMime(raw, ctx.listKey.privateKey, { maxBytes, candidateKeys: keys });
  if (!result.ok) {
    if (result.code === 'NOT_ENCRYPTED') return { state: 'clear' };
    return { state: 'refused', code: result.code, detail: result.detail };
  }
  return {
    state: 'decrypted',
    message: result.message,
    signature: result.signature,
    signedContent:
      !result.signature.ok && result.signature.code === 'UNSIGNED' ? null : signedPartOf(raw, result.message),
    mismatched: result.mismatched,
  };
}

/**
 * What the signature of a decrypted message covers: the inner entity (its header fields are those
 * the outside does not carry byte for byte, and its body), or, when the inner entity is itself
 * multipart/signed (RFC 3156 6.1), only its first part. Fields equal to an outside one are left
 * out: in doubt, a field is taken as not signed.
 */
function signedPartOf(original: Buffer, decrypted: Buffer): Buffer {
  const outside = new Set(parseEntity(original).headers.map((h) => toCrlf(Buffer.from(h.raw, 'latin1')).toString()));
  const inner = parseEntity(decrypted);
  const ct = contentTypeOf(inner.headers);
  if (ct.type === 'multipart/signed' && ct.params.boundary) {
    const first = splitMultipart(inner.body, ct.params.boundary).parts[0];
    if (first) return toCrlf(first);
  }
  const own = inner.headers.filter((h) => !outside.has(toCrlf(Buffer.from(h.raw, 'latin1')).toString()));
  return writeEntity(own, inner.body);
}

/** What an OpenPGP signature says of a moderator's mail, for sender authentication (policy/sender-auth judgeSignature). */
export interface SignatureEvidence {
  /** Where the signature was: a multipart/signed body, or inside the encryption. */
  source: 'multipart/signed' | 'encrypted';
  verdict: SignatureVerdict;
  /** Whose key made a valid signature ("moderator a@b", "member c@d"), when one did. */
  signerOwner: string | null;
  /** The key registered to the From as a moderator, and whether it may sign now. */
  registered: { fingerprint: string; state: 'usable' | 'expired' | 'revoked' } | null;
  /** Our tokens inside what the signature covers (protected header fields, and the signed text). */
  signedTokens: string[];
  /** A valid signature's identity: sha256 of the signer, the signature time and the signed bytes (store/signatures). */
  id: string | null;
}

/** The tokens in a signed entity: its header fields (Subject, In-Reply-To, References) and its text and HTML, decoded. */
async function tokensIn(content: Buffer): Promise<string[]> {
  // mailparser, not parseMessage: a signed part has no From of its own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { simpleParser } = require('mailparser') as typeof import('mailparser');
  let places: string[];
  try {
    const p = await simpleParser(content, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    const refs = p.references === undefined ? [] : Array.isArray(p.references) ? p.references : [p.references];
    places = [p.subject ?? '', p.inReplyTo ?? '', ...refs, p.text ?? '', typeof p.html === 'string' ? p.html : ''];
  } catch {
    return [];
  }
  const found = new Set<string>();
  for (const text of places) {
    for (const m of text.matchAll(TOKEN_PATTERN)) found.add(m[1]!.toLowerCase());
  }
  return [...found];
}

async function registeredKey(ctx: Context, findKey: KeyLookup, from: string): Promise<SignatureEvidence['registered']> {
  const row = findKey('moderator', from);
  if (!row) return null;
  if (row.revoked === 1) return { fingerprint: row.fingerprint, state: 'revoked' };
  const now = ctx.clock();
  if (row.expires !== null && Date.parse(row.expires) <= now.getTime())
    return { fingerprint: row.fingerprint, state: 'expired' };
  try {
    const key = await openpgp.readKey({ armoredKey: row.armored });
    const state = await keyState(key, now);
    // A key that cannot encrypt may still sign; only its end and its revocation count here.
    return { fingerprint: row.fingerprint, state: state === 'expired' || state === 'revoked' ? state : 'usable' };
  } catch {
    return { fingerprint: row.fingerprint, state: 'revoked' };
  }
}

/**
 * The OpenPGP signature evidence of a moderator's mail, or null when it carries no signature at
 * all. `original` is the message as it came; `opened` says whether it was decrypted.
 */
export async function signatureEvidence(
  ctx: Context,
  findKey: KeyLookup,
  from: string,
  original: Buffer,
  opened: Opened,
): Promise<SignatureEvidence | null> {
  let source: SignatureEvidence['source'];
  let verdict: SignatureVerdict;
  let signed: Buffer | null = null;
  let owners: string[] = [];
  if (opened.state === 'decrypted') {
    if (opened.signature.ok === false && opened.signature.code === 'UNSIGNED') return null;
    source = 'encrypted';
    verdict = opened.signature;
    signed = opened.signedContent;
    owners = (await candidateKeys(ctx, findKey, from)).owners;
  } else {
    if (!SIGNED_TYPE.test(original.toString('latin1'))) return null;
    const candidates = await candidateKeys(ctx, findKey, from);
    owners = candidates.owners;
    const result = await verifyMime(original, candidates.keys, { maxBytes: ctx.config.policy.maxMessageBytes });
    if (!result.ok && result.code === 'UNSIGNED') return null;
    source = 'multipart/signed';
    if (result.ok) {
      const { signedEntity, ...rest } = result;
      verdict = rest;
      signed = signedEntity;
    } else verdict = result;
  }
  return {
    source,
    verdict,
    signerOwner: verdict.ok ? (owners[verdict.keyIndex] ?? null) : null,
    registered: await registeredKey(ctx, findKey, from),
    signedTokens: verdict.ok && signed ? await tokensIn(signed) : [],
    id: verdict.ok ? signatureId(verdict, signed) : null,
  };
}

/**
 * The same signature gives the same id wherever it travels: the signer and the signature packet
 * itself (store/signatures). Not the signed bytes as we see them: inside an encryption those lose
 * the protected header fields that equal outer ones, and outer fields are the sender's to change.
 */
function signatureId(verdict: SignedBy, signed: Buffer | null): string | null {
  const hash = createHash('sha256').update(`${verdict.fingerprint}\n`);
  if (verdict.packetDigest) return hash.update(`packet ${verdict.packetDigest}`).digest('hex');
  // A packet openpgp.js verified but would not hand over: the time and the bytes, as a last resort.
  if (!signed) return null;
  return hash
    .update(`${verdict.created?.toISOString() ?? ''}\n`)
    .update(signed)
    .digest('hex');
}

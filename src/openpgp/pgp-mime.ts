/**
 * PGP/MIME (RFC 3156) on raw messages, with OpenPGP.js doing all the cryptography.
 *
 *   encryptMime  the whole entity (body and every header field that is not routing or threading)
 *                inside multipart/encrypted, with "protected headers" (the real Subject inside,
 *                "..." outside), signed inside the encryption when a signing key is given;
 *   signMime     multipart/signed with a detached, armored signature over the CRLF, 7-bit part
 *                exactly as sent;
 *   decryptMime  for hostile input: the inner message, or a typed refusal; never throws;
 *   verifyMime   for hostile input: which of the candidate keys signed the whole body, or a typed
 *                refusal; never throws.
 *
 * A signature counts only when it covers the whole body: a signed part beside unsigned ones is
 * PARTIAL_SIGNATURE, an encrypted part beside plaintext is PARTIAL_ENCRYPTION. Encryption inside
 * encryption is refused (NESTED_ENCRYPTION): unwrapping it would let anyone wrap somebody else's
 * signed ciphertext in a layer of their own and pass it off as theirs.
 */
import { createHash } from 'node:crypto';
import type { enums, Key, KeyID, Message, PrivateKey, Signature, VerifyMessageResult } from 'openpgp' with {
  'resolution-mode': 'import',
};
import { openpgp } from './lib';
import type { RawHeader } from '../message/headers';
import {
  contentTypeOf,
  decodeTransfer,
  descendants,
  field,
  findHeader,
  firstValue,
  freshBoundary,
  multipartBody,
  parseEntity,
  splitMultipart,
  to7bit,
  toCrlf,
  writeEntity,
  type Entity,
} from './mime-entity';

/** Header fields that stay outside by default (lower case): routing, threading, list and loop control. */
export const DEFAULT_OUTSIDE_FIELDS: readonly string[] = [
  'from',
  'sender',
  'to',
  'cc',
  'reply-to',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'precedence',
  'auto-submitted',
  'mime-version',
  'x-loop',
  'x-auto-response-suppress',
];

/** Name prefixes of fields that stay outside by default (lower case): the List-* fields of RFC 2369/2919. */
export const DEFAULT_OUTSIDE_PREFIXES: readonly string[] = ['list-'];

/** The fields copied inside as protected headers (draft-autocrypt-lamps-protected-headers). */
const PROTECTED_COPIES = ['from', 'to', 'cc', 'date', 'message-id'];

/** Trace and authentication fields: only ever believed from outside, never taken from inside the encryption. */
const TRACE =
  /^(?:received|return-path|delivered-to|x-original-to|authentication-results|received-spf|dkim-signature|arc-.*|mime-version)$/;

/** The outer Subject of an encrypted message. */
export const HIDDEN_SUBJECT = '...';

/** Default size cap for decryptMime and verifyMime, on the raw message and on the decrypted payload. */
export const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;

export interface OutsideFields {
  /** Field names (any case) kept outside; default DEFAULT_OUTSIDE_FIELDS. */
  names?: readonly string[];
  /** Field name prefixes (any case) kept outside, e.g. the list's own "X-Embargo-"; default DEFAULT_OUTSIDE_PREFIXES. */
  prefixes?: readonly string[];
}

export interface EncryptOptions {
  encryptionKeys: Key[];
  /** Signs inside the encryption (RFC 3156 6.2, one OpenPGP message encrypted and signed). Must be decrypted. */
  signingKey?: PrivateKey;
  outside?: OutsideFields;
}

export interface SignOptions {
  outside?: OutsideFields;
}

export type VerifyCode =
  'UNSIGNED' | 'PARTIAL_SIGNATURE' | 'BAD_SIGNATURE' | 'UNKNOWN_SIGNER' | 'MALFORMED' | 'TOO_LARGE';

export interface SignedBy {
  ok: true;
  /** Primary key fingerprint of the candidate that signed, upper-case hex. */
  fingerprint: string;
  /** Fingerprint of the (sub)key that made the signature, upper-case hex. */
  signingKeyFingerprint: string;
  /** Index of that key in the candidates given. */
  keyIndex: number;
  created: Date | null;
  /** e.g. "sha256". */
  hash: string | null;
  /**
   * sha256 of the signature packet as it came (its hashed data, its time, its value): the same
   * signature wherever it travels, whatever headers are put around it. Null when it cannot be read.
   */
  packetDigest: string | null;
}

export interface VerifyRefusal {
  ok: false;
  code: VerifyCode;
  /** A sentence for logs; names key IDs where it helps. */
  detail: string;
  /** Key IDs (16 hex digits, upper case) of the signatures found, when any were. */
  keyIds?: string[];
}

export type SignatureVerdict = SignedBy | VerifyRefusal;

export type VerifyResult =
  | (SignedBy & {
      /** The signed body part, as it was signed (CRLF): its header carries the protected header fields, if any. */
      signedEntity: Buffer;
    })
  | VerifyRefusal;

export type DecryptCode =
  'NOT_ENCRYPTED' | 'PARTIAL_ENCRYPTION' | 'NESTED_ENCRYPTION' | 'NOT_FOR_US' | 'MALFORMED' | 'TOO_LARGE';

export type DecryptResult =
  | {
      ok: true;
      /** Outer routing fields, then the inner entity (its Subject replacing the outer "..."), CRLF. */
      message: Buffer;
      /**
       * Whether the payload was signed and by which candidate: inside the encryption (RFC 3156 6.2)
       * or as a multipart/signed entity that was encrypted (6.1). UNSIGNED when neither.
       */
      signature: SignatureVerdict;
      /** Protected fields inside that disagree with the same field outside (lower-case names), e.g. ['from']. */
      mismatched: string[];
    }
  | { ok: false; code: DecryptCode; detail: string };

export interface ReadOptions {
  maxBytes?: number;
}

function outsideTest(outside: OutsideFields | undefined): (name: string) => boolean {
  const names = new Set((outside?.names ?? DEFAULT_OUTSIDE_FIELDS).map((n) => n.toLowerCase()));
  const prefixes = (outside?.prefixes ?? DEFAULT_OUTSIDE_PREFIXES).map((p) => p.toLowerCase());
  return (name) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('content-')) return false;
    return names.has(lower) || prefixes.some((p) => lower.startsWith(p));
  };
}

/** The message's header fields split into the ones kept outside and the entity that goes inside (with protected headers). */
function splitForProtection(
  raw: Buffer,
  outside: OutsideFields | undefined,
): { outer: RawHeader[]; inner: Entity; subject: RawHeader | undefined } {
  const { headers, body } = parseEntity(raw);
  const isOutside = outsideTest(outside);
  const outer = headers.filter((h) => isOutside(h.name));
  const moved = headers.filter((h) => !isOutside(h.name) && h.name.toLowerCase() !== 'content-type');
  const copies = headers.filter((h) => PROTECTED_COPIES.includes(h.name.toLowerCase()) && isOutside(h.name));
  const ct = findHeader(headers, 'content-type');
  let contentType: RawHeader;
  if (!ct) contentType = field('Content-Type', 'text/plain; charset=us-ascii; protected-headers="v1"');
  else if (contentTypeOf(headers).params['protected-headers']) contentType = ct;
  else contentType = { name: ct.name, raw: `${ct.raw.replace(/\r?\n$/, '')};\r\n protected-headers="v1"\r\n` };
  return {
    outer,
    inner: { headers: [contentType, ...moved, ...copies], body },
    subject: findHeader(headers, 'subject'),
  };
}

function withMimeVersion(outer: RawHeader[]): RawHeader[] {
  return findHeader(outer, 'mime-version') ? outer : [...outer, field('MIME-Version', '1.0')];
}

/**
 * An RFC 3156 multipart/encrypted message: the original entity, with its non-routing header
 * fields and protected copies of Subject, From, To, Cc, Date and Message-ID, encrypted to every
 * key given (and signed inside when signingKey is given); outside, the routing and threading
 * fields as they were and Subject "...". Throws (openpgp.js's error) when a key cannot encrypt
 * or sign.
 */
export async function encryptMime(raw: Buffer, options: EncryptOptions): Promise<Buffer> {
  if (options.encryptionKeys.length === 0) throw new Error('encryptMime: no encryption key');
  const { outer, inner } = splitForProtection(raw, options.outside);
  const plaintext = writeEntity(inner.headers, inner.body);
  const armored = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: plaintext }),
    encryptionKeys: options.encryptionKeys,
    ...(options.signingKey ? { signingKeys: options.signingKey } : {}),
    format: 'armored',
  });
  const version = Buffer.from(
    'Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n',
    'latin1',
  );
  const payload = Buffer.from(
    'Content-Type: application/octet-stream; name="encrypted.asc"\r\n' +
      'Content-Description: OpenPGP encrypted message\r\n' +
      'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n' +
      armored.replace(/\r?\n/g, '\r\n'),
    'latin1',
  );
  const boundary = freshBoundary([version, payload]);
  const body = multipartBody(
    boundary,
    [version, payload],
    'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
  );
  return writeEntity(
    [
      ...withMimeVersion(outer),
      field('Subject', HIDDEN_SUBJECT),
      `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\r\n boundary="${boundary}"`,
    ],
    body,
  );
}

/**
 * An RFC 3156 multipart/signed message: the entity (non-routing fields and protected copies in
 * its header, every leaf 7-bit, CRLF) is the first part exactly as signed; the detached armored
 * signature is the second; micalg names the signature's hash. Subject stays outside too.
 */
export async function signMime(raw: Buffer, signingKey: PrivateKey, options: SignOptions = {}): Promise<Buffer> {
  const { outer, inner, subject } = splitForProtection(raw, options.outside);
  const sevenBit = to7bit(inner);
  const signed = writeEntity(sevenBit.headers, sevenBit.body);
  const armored = await openpgp.sign({
    message: await openpgp.createMessage({ binary: signed }),
    signingKeys: signingKey,
    detached: true,
    format: 'armored',
  });
  const signature = await openpgp.readSignature({ armoredSignature: armored });
  const hash = hashName(signature.packets[0]?.hashAlgorithm) ?? 'sha256';
  const sigPart = Buffer.from(
    'Content-Type: application/pgp-signature; name="signature.asc"\r\n' +
      'Content-Description: OpenPGP digital signature\r\n' +
      'Content-Disposition: attachment; filename="signature.asc"\r\n\r\n' +
      armored.replace(/\r?\n/g, '\r\n'),
    'latin1',
  );
  const boundary = freshBoundary([signed, sigPart]);
  const body = multipartBody(boundary, [signed, sigPart], 'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)');
  return writeEntity(
    [
      ...withMimeVersion(outer),
      ...(subject ? [subject] : []),
      `Content-Type: multipart/signed; micalg=pgp-${hash}; protocol="application/pgp-signature";\r\n boundary="${boundary}"`,
    ],
    body,
  );
}

function hashName(id: enums.hash | null | undefined): string | null {
  if (id === null || id === undefined) return null;
  try {
    return String(openpgp.enums.read(openpgp.enums.hash, id)).toLowerCase();
  } catch {
    return null;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Which candidate holds a (sub)key with this key ID, and that (sub)key. */
function candidateFor(keyId: KeyID, candidates: Key[]): { index: number; subkeyFpr: string } | null {
  for (const [index, key] of candidates.entries()) {
    const found = key.getKeys(keyId)[0];
    if (found) return { index, subkeyFpr: found.getFingerprint().toUpperCase() };
  }
  return null;
}

/**
 * The verdict on the signatures openpgp.js found: the first valid one by a candidate wins;
 * otherwise a failed one by a candidate is BAD_SIGNATURE; otherwise UNKNOWN_SIGNER.
 */
async function judge(signatures: VerifyMessageResult['signatures'], candidates: Key[]): Promise<SignatureVerdict> {
  if (signatures.length === 0) return { ok: false, code: 'UNSIGNED', detail: 'no signature' };
  const keyIds = signatures.map((s) => s.keyID.toHex().toUpperCase());
  const bad: string[] = [];
  for (const sig of signatures) {
    const who = candidateFor(sig.keyID, candidates);
    let failure: string | null = null;
    try {
      await sig.verified;
    } catch (err) {
      failure = errorText(err);
    }
    if (!who) continue;
    const key = candidates[who.index];
    if (failure !== null || !key) {
      bad.push(`${sig.keyID.toHex().toUpperCase()}: ${failure ?? 'no key'}`);
      continue;
    }
    let created: Date | null = null;
    let hash: string | null = null;
    let packetDigest: string | null = null;
    try {
      const packet = (await sig.signature).packets[0];
      created = packet?.created ?? null;
      hash = hashName(packet?.hashAlgorithm);
      packetDigest = packet ? createHash('sha256').update(packet.write()).digest('hex') : null;
    } catch {
      // The signature verified; its packet details are only for the report.
    }
    return {
      ok: true,
      fingerprint: key.getFingerprint().toUpperCase(),
      signingKeyFingerprint: who.subkeyFpr,
      keyIndex: who.index,
      created,
      hash,
      packetDigest,
    };
  }
  if (bad.length > 0)
    return { ok: false, code: 'BAD_SIGNATURE', detail: `signature invalid (${bad.join('; ')})`, keyIds };
  return { ok: false, code: 'UNKNOWN_SIGNER', detail: `signed by key ${keyIds.join(', ')}, not a candidate`, keyIds };
}

function tooLarge(raw: Buffer, maxBytes: number): boolean {
  return raw.length > maxBytes;
}

/** Verifies an entity whose content type is multipart/signed. */
async function verifyEntity(entity: Entity, candidates: Key[]): Promise<VerifyResult> {
  const ct = contentTypeOf(entity.headers);
  if ((ct.params.protocol ?? '').toLowerCase() !== 'application/pgp-signature') {
    return {
      ok: false,
      code: 'UNSIGNED',
      detail: `multipart/signed with protocol "${ct.params.protocol ?? ''}", not OpenPGP`,
    };
  }
  const boundary = ct.params.boundary;
  if (!boundary) return { ok: false, code: 'MALFORMED', detail: 'multipart/signed without a boundary' };
  const split = splitMultipart(entity.body, boundary);
  if (!split.closed || split.parts.length !== 2) {
    return {
      ok: false,
      code: 'MALFORMED',
      detail: `multipart/signed with ${split.parts.length} parts (closed: ${split.closed})`,
    };
  }
  const [signedRaw, sigRaw] = split.parts as [Buffer, Buffer];
  const sigEntity = parseEntity(sigRaw);
  if (contentTypeOf(sigEntity.headers).type !== 'application/pgp-signature') {
    return { ok: false, code: 'MALFORMED', detail: 'the second part is not application/pgp-signature' };
  }
  let signature: Signature;
  try {
    const armoredSignature = decodeTransfer(sigEntity.headers, sigEntity.body).toString('latin1');
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (err) {
    return { ok: false, code: 'MALFORMED', detail: `signature unreadable: ${errorText(err)}` };
  }
  const signedEntity = toCrlf(signedRaw);
  let result: VerifyMessageResult;
  try {
    result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: signedEntity }),
      signature,
      verificationKeys: candidates,
      format: 'binary',
      expectSigned: false,
    });
  } catch (err) {
    return { ok: false, code: 'MALFORMED', detail: `signature unusable: ${errorText(err)}` };
  }
  const verdict = await judge(result.signatures, candidates);
  return verdict.ok ? { ...verdict, signedEntity } : verdict;
}

/**
 * Which candidate key signed the whole body of this message (RFC 3156 multipart/signed at the
 * top), or why none did. Never throws.
 */
export async function verifyMime(raw: Buffer, candidateKeys: Key[], options: ReadOptions = {}): Promise<VerifyResult> {
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (tooLarge(raw, maxBytes)) return { ok: false, code: 'TOO_LARGE', detail: `message over ${maxBytes} bytes` };
    const entity = parseEntity(raw);
    const type = contentTypeOf(entity.headers).type;
    if (type !== 'multipart/signed') {
      const inner = descendants(entity).find(
        (d) => d.type === 'multipart/signed' || d.type === 'application/pgp-signature',
      );
      if (inner) {
        return {
          ok: false,
          code: 'PARTIAL_SIGNATURE',
          detail: `a ${inner.type} part inside ${type}: the signature does not cover the whole body`,
        };
      }
      return { ok: false, code: 'UNSIGNED', detail: `${type || 'unreadable content type'}, not multipart/signed` };
    }
    return await verifyEntity(entity, candidateKeys);
  } catch (err) {
    return { ok: false, code: 'MALFORMED', detail: `unreadable: ${errorText(err)}` };
  }
}

async function decryptInner(
  entity: Entity,
  decryptionKeys: PrivateKey[],
  candidates: Key[],
  maxBytes: number,
): Promise<{ ok: true; data: Buffer; signature: SignatureVerdict } | { ok: false; code: DecryptCode; detail: string }> {
  const ct = contentTypeOf(entity.headers);
  if ((ct.params.protocol ?? '').toLowerCase() !== 'application/pgp-encrypted') {
    return { ok: false, code: 'MALFORMED', detail: `multipart/encrypted with protocol "${ct.params.protocol ?? ''}"` };
  }
  const boundary = ct.params.boundary;
  if (!boundary) return { ok: false, code: 'MALFORMED', detail: 'multipart/encrypted without a boundary' };
  const split = splitMultipart(entity.body, boundary);
  if (!split.closed || split.parts.length !== 2) {
    return {
      ok: false,
      code: 'MALFORMED',
      detail: `multipart/encrypted with ${split.parts.length} parts (closed: ${split.closed})`,
    };
  }
  const control = parseEntity(split.parts[0] as Buffer);
  if (
    contentTypeOf(control.headers).type !== 'application/pgp-encrypted' ||
    !/^Version:[ \t]*1[ \t]*$/m.test(decodeTransfer(control.headers, control.body).toString('latin1'))
  ) {
    return { ok: false, code: 'MALFORMED', detail: 'the first part is not application/pgp-encrypted "Version: 1"' };
  }
  const payload = parseEntity(split.parts[1] as Buffer);
  if (contentTypeOf(payload.headers).type !== 'application/octet-stream') {
    return { ok: false, code: 'MALFORMED', detail: 'the second part is not application/octet-stream' };
  }
  let message: Message<ReadableStream<Uint8Array>>;
  try {
    const armoredMessage = decodeTransfer(payload.headers, payload.body).toString('latin1');
    // Read as a stream, so that a compressed payload is inflated chunk by chunk and stopped at
    // maxBytes (a few hundred kilobytes of ciphertext can inflate to gigabytes).
    message = await openpgp.readMessage({
      armoredMessage: new ReadableStream<string>({
        start(controller) {
          controller.enqueue(armoredMessage);
          controller.close();
        },
      }),
    });
  } catch (err) {
    return { ok: false, code: 'MALFORMED', detail: `encrypted part unreadable: ${errorText(err)}` };
  }
  const recipients = message.getEncryptionKeyIDs();
  if (recipients.length === 0) return { ok: false, code: 'MALFORMED', detail: 'no public-key encrypted session key' };
  const ours = recipients.some(
    (id) => id.toHex() === '0000000000000000' || decryptionKeys.some((k) => k.getKeys(id).length > 0),
  );
  if (!ours) {
    const ids = recipients.map((id) => id.toHex().toUpperCase()).join(', ');
    return { ok: false, code: 'NOT_FOR_US', detail: `encrypted to ${ids}` };
  }
  let result: Awaited<ReturnType<typeof openpgp.decrypt<ReadableStream<Uint8Array>>>>;
  try {
    result = await openpgp.decrypt({
      message,
      decryptionKeys,
      verificationKeys: candidates,
      format: 'binary',
      expectSigned: false,
      // Chunks are counted as they come; nothing is used before the stream ends without an
      // integrity error (MDC or AEAD), which openpgp.js raises on the stream itself.
      config: { allowUnauthenticatedStream: true },
    });
  } catch (err) {
    const text = errorText(err);
    if (/session key decryption failed/i.test(text)) return { ok: false, code: 'NOT_FOR_US', detail: text };
    return { ok: false, code: 'MALFORMED', detail: `decryption failed: ${text}` };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = result.data.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, code: 'TOO_LARGE', detail: `decrypted payload over ${maxBytes} bytes` };
      }
      chunks.push(value);
    }
  } catch (err) {
    return { ok: false, code: 'MALFORMED', detail: `decryption failed: ${errorText(err)}` };
  }
  const data = Buffer.concat(chunks);
  const signature = await judge(result.signatures, candidates);
  return { ok: true, data, signature };
}

/**
 * The message inside an RFC 3156 multipart/encrypted message to one of our keys: the outer
 * routing fields as they came, then the inner entity's fields (its Subject restores a hidden
 * one; its copies of the routing fields are dropped, and listed in `mismatched` when they
 * disagree), then its body. Reports whether the payload was signed, and by which candidate.
 * Never throws.
 */
export async function decryptMime(
  raw: Buffer,
  decryptionKey: PrivateKey | PrivateKey[],
  options: ReadOptions & { candidateKeys?: Key[]; outside?: OutsideFields } = {},
): Promise<DecryptResult> {
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (tooLarge(raw, maxBytes)) return { ok: false, code: 'TOO_LARGE', detail: `message over ${maxBytes} bytes` };
    const entity = parseEntity(raw);
    const type = contentTypeOf(entity.headers).type;
    if (type !== 'multipart/encrypted') {
      const inner = descendants(entity).find(
        (d) => d.type === 'multipart/encrypted' || d.type === 'application/pgp-encrypted',
      );
      if (inner) {
        return {
          ok: false,
          code: 'PARTIAL_ENCRYPTION',
          detail: `a ${inner.type} part inside ${type}: not the whole body`,
        };
      }
      return {
        ok: false,
        code: 'NOT_ENCRYPTED',
        detail: `${type || 'unreadable content type'}, not multipart/encrypted`,
      };
    }
    const keys = Array.isArray(decryptionKey) ? decryptionKey : [decryptionKey];
    const candidates = options.candidateKeys ?? [];
    const decrypted = await decryptInner(entity, keys, candidates, maxBytes);
    if (!decrypted.ok) return decrypted;
    const inner = parseEntity(decrypted.data);
    const innerType = contentTypeOf(inner.headers).type;
    if (innerType === 'multipart/encrypted') {
      return { ok: false, code: 'NESTED_ENCRYPTION', detail: 'an encrypted message inside the encryption' };
    }
    let signature = decrypted.signature;
    if (!signature.ok && signature.code === 'UNSIGNED' && innerType === 'multipart/signed') {
      const nested = await verifyEntity(inner, candidates);
      if (nested.ok) {
        const { signedEntity: _signed, ...rest } = nested;
        signature = rest;
      } else signature = nested;
    } else if (!signature.ok && signature.code === 'UNSIGNED') {
      const partial = descendants(inner).find((d) => d.type === 'multipart/signed');
      if (partial)
        signature = {
          ok: false,
          code: 'PARTIAL_SIGNATURE',
          detail: 'a signed part beside unsigned ones inside the encryption',
        };
    }

    // Outside: every field as it came (trace and authentication fields included, which the
    // pipeline reads), but the content fields and a hidden Subject. Inside: the rest, without its
    // copies of the routing fields or any trace field the sender may have planted.
    const isOutside = outsideTest(options.outside);
    const innerSubject = findHeader(inner.headers, 'subject');
    const outer = entity.headers.filter((h) => {
      const lower = h.name.toLowerCase();
      return !lower.startsWith('content-') && !(innerSubject && lower === 'subject');
    });
    const mismatched: string[] = [];
    const innerKept = inner.headers.filter((h) => {
      const lower = h.name.toLowerCase();
      if (TRACE.test(lower)) return false;
      if (!isOutside(h.name)) return true;
      const outside = firstValue(entity.headers, lower);
      const value = firstValue([h], lower);
      if (PROTECTED_COPIES.includes(lower) && outside !== null && value !== outside && !mismatched.includes(lower)) {
        mismatched.push(lower);
      }
      return false;
    });
    return {
      ok: true,
      message: writeEntity([...outer, ...innerKept], inner.body),
      signature,
      mismatched,
    };
  } catch (err) {
    return { ok: false, code: 'MALFORMED', detail: `unreadable: ${errorText(err)}` };
  }
}

/**
 * The header fields a relayed copy may carry, read from the original into parsed values and
 * written anew: nothing the sender wrote reaches the members byte for byte. Every field that is
 * not read here is dropped (Cc, Sender, Errors-To, Reply-To, Received, DKIM-Signature, X-*,
 * whatever a client might reply or report to). A field the list needs once is read from its
 * first occurrence; text values lose their control characters, addresses must parse, and
 * Message-IDs must look like one. Pure.
 */
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import { headerSafe, headerValue, splitMessage } from '../message/headers';
import { isAddress } from '../message/address';

export interface RelayFields {
  /** The author, as parsed from the first From field; null when it holds no valid address. */
  author: { name: string; address: string } | null;
  /** Decoded text, one line. */
  subject: string | null;
  date: Date | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** Content-Type as type/subtype and parameters, decoded (RFC 2231 joined). */
  contentType: { value: string; params: Record<string, string> } | null;
  contentTransferEncoding: string | null;
  contentDisposition: { value: string; params: Record<string, string> } | null;
}

/** The first value of each field, by lower-case name, unfolded, as text (UTF-8 bytes decoded); and how many From fields there are. */
function firstValues(raw: Buffer): { first: Map<string, string>; froms: number } {
  const first = new Map<string, string>();
  let froms = 0;
  for (const h of splitMessage(raw).headers) {
    const name = h.name.toLowerCase();
    if (name === 'from') froms += 1;
    if (name === '' || first.has(name)) continue;
    first.set(name, Buffer.from(headerValue(h), 'latin1').toString('utf8'));
  }
  return { first, froms };
}

/**
 * Text for one header line: headerSafe(), and the C1 controls and the Unicode line and paragraph
 * separators too, which some readers show as line ends (Python's str.splitlines() splits at U+0085).
 */
export function oneLine(value: string): string {
  return headerSafe(value.replace(/[\u0080-\u009f\u2028\u2029]/g, ' '));
}

const MSG_ID = /<([^<>\s"@]{1,200}@[^<>\s"@]{1,200})>/g;

/** An id written without its angle brackets, as some clients do ("abc@host"); mailparser reads it as "<abc@host>". */
const BARE_ID = /^[^<>\s"@()]{1,200}@[^<>\s"@()]{1,200}$/;

/** RFC 5322 msg-id: atext and dots on both sides, a domain literal on the right. */
const MSG_ID_SHAPE =
  /^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+|\[[\x21-\x5a\x5e-\x7e]*\])>$/;

/**
 * Message-IDs in a value, in order, each as "<local@domain>" of RFC 5322 characters and never
 * with "=?" in it (mailparser decodes an encoded word even there, Python does not). A value that
 * is one bare id gets its brackets, as mailparser (and so the pipeline) reads it: a copy that lost
 * its Message-ID would break the thread of every member's reply.
 */
function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  const found = [...value.matchAll(MSG_ID)].map((m) => m[1]!);
  if (found.length === 0 && BARE_ID.test(value.trim())) found.push(value.trim());
  return found.map((id) => `<${id}>`).filter((id) => MSG_ID_SHAPE.test(id) && !id.includes('=?'));
}

const TOKEN = /^[a-z0-9!#$%&'*+.^_`{|}~-]+$/i;

/** A structured MIME value (Content-Type, Content-Disposition) with parameters, or null. */
function structured(value: string | undefined, shape: RegExp): RelayFields['contentType'] {
  if (value === undefined) return null;
  const parsed = libmime.parseHeaderValue(value) as { value: string; params: Record<string, string> };
  const main = parsed.value.trim().toLowerCase();
  if (!shape.test(main)) return null;
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params)) {
    const key = k.toLowerCase();
    // The boundary is bytes the body relies on: kept exactly, or the field is not believed.
    if (key === 'boundary' && !/^[0-9a-z'()+_,\-./:=? ]{1,70}$/i.test(v)) return null;
    if (TOKEN.test(key) && !(key in params)) params[key] = key === 'boundary' ? v : oneLine(v);
  }
  return { value: main, params };
}

export function readRelayFields(raw: Buffer): RelayFields {
  const { first: f, froms } = firstValues(raw);
  const fromValue = f.get('from') ?? '';
  // A From with a control character left in it (a bare CR, a NUL) is split differently by each reader: no author.
  // eslint-disable-next-line no-control-regex
  const from = /[\u0000-\u0008\u000a-\u001f\u007f]/.test(fromValue)
    ? []
    : addressparser(fromValue, { flatten: true }).filter((a) => a.address && isAddress(a.address));
  const date = f.has('date') ? new Date(f.get('date')!) : null;
  const cte = f.get('content-transfer-encoding')?.trim().toLowerCase() ?? null;
  return {
    // Two From fields name no author (parse.ts refuses them too): the copy is From the list alone.
    author:
      from.length === 1 && froms === 1
        ? { name: oneLine(libmime.decodeWords(from[0]!.name ?? '')), address: from[0]!.address.trim() }
        : null,
    subject: f.has('subject') ? oneLine(libmime.decodeWords(f.get('subject')!)) : null,
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    messageId: messageIds(f.get('message-id'))[0] ?? null,
    inReplyTo: messageIds(f.get('in-reply-to'))[0] ?? null,
    references: messageIds(f.get('references')).slice(-30),
    contentType: structured(f.get('content-type'), /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/),
    contentTransferEncoding: cte !== null && /^(?:7bit|8bit|binary|quoted-printable|base64)$/.test(cte) ? cte : null,
    contentDisposition: structured(f.get('content-disposition'), /^(?:inline|attachment)$/),
  };
}

/** A display name as a phrase: quoted when it is printable ASCII that can be folded, encoded words otherwise. */
export function phrase(name: string): string {
  const clean = oneLine(name);
  if (/^[\x20-\x7e]*$/.test(clean) && !LONG_RUN.test(clean)) return `"${oneLine(clean.replace(/["\\]/g, ''))}"`;
  return libmime.encodeWord(clean, 'Q', 52);
}

/** One header field, encoded words where the text is not ASCII, folded at 76. */
export function field(name: string, value: string): string {
  return libmime.foldLines(`${name}: ${value}`, 76).replace(/[ \t]+$/gm, '');
}

/**
 * A run of 70 characters without a space cannot be folded, and a line past 998 octets breaks RFC
 * 5322 (some hosts refuse it, some cut it): such text is written as encoded words of at most 52
 * characters each, whatever it is (encodeWords would leave an ASCII run as it is).
 */
const LONG_RUN = /\S{70}/;

/** Unstructured text (a Subject) as it is written in a header. */
export function text(value: string): string {
  if (LONG_RUN.test(value)) return libmime.encodeWord(value, 'Q', 52);
  return /^[\x20-\x7e]*$/.test(value) ? value : libmime.encodeWords(value, 'Q', 52);
}

export function mimeValue(v: { value: string; params: Record<string, string> }): string {
  return libmime.buildHeaderValue(v);
}

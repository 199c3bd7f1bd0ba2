/**
 * List decoration of a relayed post, the way Mailman does it without touching the author's bytes:
 * the Subject gets the list's prefix once, and a footer is added as a part of its own after the
 * original body entity, which is carried over byte for byte (so attachments, alternatives and
 * multipart/signed signatures survive).
 *
 * Pure: bytes in, bytes out. The only thing not derived from the input is the random boundary.
 */
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import libmime from 'libmime';
import { encodeWord, encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';
import { headerValue, splitMessage, type RawHeader } from '../message/headers';

export interface Decoration {
  /** Put in front of the Subject ("[SEC] Re: ..."), once; null leaves the Subject alone. */
  subjectPrefix: string | null;
  /** Plain text added as a second, inline part; null (or empty) leaves the body alone. */
  footer: string | null;
  /** Tags of ours that may be stale in the Subject (an older embargo end); removed before the prefix. */
  staleTags?: RegExp;
}

export interface DecorateOptions {
  /** Makes a boundary candidate; candidates found in the content are skipped. Tests only. */
  boundary?: () => string;
}

/** RFC 5322 2.1.1: a line is at most 998 octets, line end excluded. */
const MAX_LINE = 998;
/** What nodemailer uses for its own headers: encoded words short enough to fold at 76. */
const WORD_LENGTH = 52;
const FOLD_AT = 76;

/**
 * Reply and forward markers a mail client puts in front of a subject ("Re:", "AW:", "Fwd:",
 * "Re[2]:", ...), in the languages we see. Only used to look past them for the prefix.
 */
const REPLY_MARKER =
  /^(?:re|aw|sv|vs|antw|ref|rif|r|res|odp|odg|ynt|fw|fwd|wg|tr|rv|enc|vb|vl|doorst)\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*/i;

/**
 * Returns the raw message with (a) the subject prefixed, and (b) a plain-text footer added,
 * keeping the original body entity byte for byte.
 */
export function decorate(raw: Buffer, d: Decoration, options: DecorateOptions = {}): Buffer {
  const prefix = d.subjectPrefix === null ? '' : cleanPrefix(d.subjectPrefix);
  const footer = d.footer ?? '';
  if (prefix === '' && footer === '') return raw;

  const { headers, body, eol } = split(raw);
  let top = prefix === '' ? headers : withSubjectPrefix(headers, prefix, eol, d.staleTags);
  if (footer === '') return Buffer.concat([Buffer.from(top.map((h) => h.raw).join('') + eol, 'latin1'), body]);

  // The original entity's MIME headers go with it into the first part; the top level becomes ours.
  const moved = top.filter(isContentHeader);
  const version = top.find(isVersionHeader);
  const keepVersion = version !== undefined && /^1\.0(?:[\s(]|$)/.test(headerValue(version));
  const stays = (h: RawHeader): boolean => !isContentHeader(h) && (keepVersion || !isVersionHeader(h));

  const encodedFooter = qp.wrap(qp.encode(footer.replace(/\r\n|\r|\n/g, '\r\n')), FOLD_AT).replace(/\r\n/g, eol);
  const boundary = pickBoundary(body, moved, encodedFooter, options.boundary ?? randomBoundary);
  const transfer = outerTransferEncoding(body, moved);
  const ours: RawHeader[] = [
    ...(keepVersion ? [] : [field('MIME-Version', '1.0', eol)]),
    { name: 'Content-Type', raw: `Content-Type: multipart/mixed;${eol} boundary="${boundary}"${eol}` },
    ...(transfer === null ? [] : [field('Content-Transfer-Encoding', transfer, eol)]),
  ];
  // Ours go in the place of the first header they replace, or at the end when there was none.
  const at = top.findIndex((h) => !stays(h));
  top = at < 0 ? [...top, ...ours] : [...top.slice(0, at).filter(stays), ...ours, ...top.slice(at).filter(stays)];

  // RFC 2045 5.2: no Content-Type means text/plain; charset=us-ascii. Said out loud in the part,
  // since the part's header is no longer the message's and a reader must not guess.
  const hasType = moved.some((h) => h.name.toLowerCase() === 'content-type');
  const partHead =
    (hasType ? '' : `Content-Type: text/plain; charset=us-ascii${eol}`) + moved.map((h) => h.raw).join('');
  const head = `${top.map((h) => h.raw).join('')}${eol}--${boundary}${eol}${partHead}${eol}`;
  // The line end in front of a delimiter belongs to the delimiter (RFC 2046 5.1.1), so the first
  // part's content is the original body exactly, whether or not it ended with a line end.
  const tail =
    `${eol}--${boundary}${eol}` +
    `Content-Type: text/plain; charset=utf-8${eol}` +
    `Content-Transfer-Encoding: quoted-printable${eol}` +
    `Content-Disposition: inline${eol}${eol}` +
    `${encodedFooter}${eol}--${boundary}--${eol}`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.from(tail, 'latin1')]);
}

/** CR and LF go; other control characters become spaces, as anything we put in a header. */
function cleanPrefix(prefix: string): string {
  return (
    prefix
      .replace(/[\r\n]+/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .trim()
  );
}

/**
 * splitMessage, with the edges it reads loosely made exact: a message that is only a header
 * (no blank line) gets its header end, in the message's own line end; a message that starts with
 * the blank line has no header at all and keeps every byte after it as the body.
 */
function split(raw: Buffer): { headers: RawHeader[]; body: Buffer; eol: '\r\n' | '\n' } {
  if (raw[0] === 0x0a) return { headers: [], body: raw.subarray(1), eol: '\n' };
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { headers: [], body: raw.subarray(2), eol: '\r\n' };
  const nl = raw.indexOf('\n');
  const eol = nl > 0 && raw[nl - 1] === 0x0d ? '\r\n' : nl >= 0 ? '\n' : '\r\n';
  if (raw.length === 0) return { headers: [], body: raw, eol };
  if (raw.indexOf('\r\n\r\n') < 0 && raw.indexOf('\n\n') < 0) {
    const end = raw[raw.length - 1] === 0x0a ? eol : eol + eol;
    return { ...splitMessage(Buffer.concat([raw, Buffer.from(end, 'latin1')])), eol };
  }
  return splitMessage(raw);
}

function isContentHeader(h: RawHeader): boolean {
  return h.name.toLowerCase().startsWith('content-');
}

function isVersionHeader(h: RawHeader): boolean {
  return h.name.toLowerCase() === 'mime-version';
}

function field(name: string, value: string, eol: string): RawHeader {
  return { name, raw: `${name}: ${value}${eol}` };
}

/** Prefixes the first Subject (or adds one), leaving every other header as it was. */
function withSubjectPrefix(headers: RawHeader[], prefix: string, eol: string, staleTags?: RegExp): RawHeader[] {
  const i = headers.findIndex((h) => h.name.toLowerCase() === 'subject');
  const current = headers[i];
  if (current === undefined) return [...headers, subjectHeader('Subject', prefix, eol)];
  const subject = decodeSubject(headerValue(current));
  const refreshed = staleTags ? replaceTags(subject, staleTags, prefix) : null;
  if (refreshed === null && hasPrefix(subject, prefix)) return headers;
  if (refreshed === subject) return headers;
  const value = refreshed ?? (subject === '' ? prefix : `${prefix} ${subject}`);
  return [...headers.slice(0, i), subjectHeader(current.name, value, eol), ...headers.slice(i + 1)];
}

/**
 * The subject as a reader sees it: raw 8-bit bytes read as UTF-8 when they are UTF-8 (RFC 6532),
 * encoded words decoded. Control characters a hostile encoded word may carry become spaces.
 */
function decodeSubject(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  let text = value;
  if (!isAscii(bytes)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = value;
    }
  }
  return (
    libmime
      .decodeWords(text)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .trim()
  );
}

/**
 * Our tags already in the subject are replaced where they stand ("Re: [old] x" becomes
 * "Re: [new] x"), so a reply keeps its shape and never carries a stale tag. Null: none there.
 */
function replaceTags(subject: string, tags: RegExp, prefix: string): string | null {
  const global = new RegExp(tags.source, tags.flags.includes('g') ? tags.flags : `${tags.flags}g`);
  const first = subject.search(global);
  if (first < 0) return null;
  const before = subject.slice(0, first);
  const after = subject.slice(first).replace(global, '').trim();
  return `${before}${prefix}${after === '' ? '' : ` ${after}`}`.replace(/\s{2,}/g, ' ').trim();
}

function hasPrefix(subject: string, prefix: string): boolean {
  const norm = (s: string): string => s.replace(/\s+/g, ' ').trim().toLowerCase();
  let rest = norm(subject);
  for (let m = REPLY_MARKER.exec(rest); m !== null && m[0] !== ''; m = REPLY_MARKER.exec(rest)) {
    rest = rest.slice(m[0].length);
  }
  return rest.startsWith(norm(prefix));
}

/**
 * The whole new Subject field: plain when it is printable ASCII, RFC 2047 encoded words
 * otherwise, folded at 76; when a line would still pass 998 octets (one endless word), the whole
 * value is encoded, which can be cut anywhere.
 */
function subjectHeader(name: string, value: string, eol: string): RawHeader {
  const fold = (v: string): string => foldLines(`${name}: ${v}`, FOLD_AT);
  let text: string;
  if (value.includes('=?')) {
    // Text that reads as an encoded word must not be decoded a second time by the receiver.
    text = fold(encodeWord(value, 'Q', WORD_LENGTH));
  } else {
    text = fold(/[^\x20-\x7e]/.test(value) ? encodeWords(value, 'Q', WORD_LENGTH) : value);
    if (text.split('\r\n').some((line) => line.length > MAX_LINE)) text = fold(encodeWord(value, 'Q', WORD_LENGTH));
  }
  return { name, raw: text.replace(/\r\n/g, eol) + eol };
}

function randomBoundary(): string {
  // "=_" can occur in neither quoted-printable nor base64 text.
  return `=_embargo-list_${randomBytes(16).toString('hex')}`;
}

function pickBoundary(body: Buffer, moved: RawHeader[], footer: string, make: () => string): string {
  const head = moved.map((h) => h.raw).join('');
  for (;;) {
    const b = make();
    if (body.indexOf(b, 0, 'latin1') < 0 && !head.includes(b) && !footer.includes(b)) return b;
  }
}

/**
 * RFC 2045 6.4: a multipart is 7bit, 8bit or binary, and says so when a part holds 8-bit data.
 * binary when the original said binary, 8bit when the original bytes are not all ASCII.
 */
function outerTransferEncoding(body: Buffer, moved: RawHeader[]): string | null {
  const declared = moved.find((h) => h.name.toLowerCase() === 'content-transfer-encoding');
  if (declared !== undefined && headerValue(declared).toLowerCase() === 'binary') return 'binary';
  if (!isAscii(body) || moved.some((h) => !isAscii(Buffer.from(h.raw, 'latin1')))) return '8bit';
  return null;
}

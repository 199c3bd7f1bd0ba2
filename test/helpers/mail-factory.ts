/**
 * Builds plain-text RFC 5322 messages for tests (CRLF line endings, UTF-8 body).
 */
import { randomBytes } from 'node:crypto';

export interface MessageOptions {
  from: string;
  to?: string | string[];
  cc?: string[];
  /** Non-ASCII subjects are encoded as RFC 2047 encoded words (UTF-8, base64). */
  subject?: string;
  /** With or without angle brackets; a bare id without '@' gets '@test.example'. Default: unique. */
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  body?: string;
  /**
   * Extra header fields, added after the standard ones. A name that matches a standard field
   * (case-insensitively, e.g. 'Date' or 'Message-ID') replaces it. Non-ASCII values are
   * RFC 2047-encoded as a whole, so only use them for unstructured fields.
   */
  headers?: Record<string, string>;
  date?: Date;
}

let counter = 0;

/** A process-unique token: `${prefix}.${n}.${timestamp}.${random}` (no '@', no brackets). */
export function uniqueId(prefix = 'id'): string {
  counter += 1;
  return `${prefix}.${counter}.${Date.now()}.${randomBytes(3).toString('hex')}`;
}

/**
 * The Message-ID header form of an id: '<x@y>' stays, 'x@y' becomes '<x@y>', a bare 'x'
 * becomes '<x@test.example>'. makeMessage() uses this for messageId, inReplyTo and references.
 */
export function normalizeMessageId(id: string): string {
  let core = id.trim();
  if (core.startsWith('<') && core.endsWith('>')) core = core.slice(1, -1);
  if (!core.includes('@')) core = `${core}@test.example`;
  return `<${core}>`;
}

/** RFC 5322 date-time, e.g. "Wed, 26 Nov 2025 10:48:56 +0000". */
export function formatDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** RFC 2047 B-encoding in encoded words of at most 75 characters, folded with CRLF SP. */
export function encodeWords(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  let chunkBytes = 0;
  // "=?UTF-8?B?" + base64 + "?=" <= 75  =>  base64 <= 63 chars  =>  at most 45 bytes per word.
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (chunkBytes + n > 45) {
      words.push(chunk);
      chunk = '';
      chunkBytes = 0;
    }
    chunk += ch;
    chunkBytes += n;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function addressList(v: string | string[]): string {
  return (Array.isArray(v) ? v : [v]).join(',\r\n ');
}

export function makeMessage(opts: MessageOptions): Buffer {
  const fields: [string, string][] = [];
  fields.push(['From', opts.from]);
  if (opts.to !== undefined && (!Array.isArray(opts.to) || opts.to.length > 0))
    fields.push(['To', addressList(opts.to)]);
  if (opts.cc && opts.cc.length > 0) fields.push(['Cc', addressList(opts.cc)]);
  if (opts.subject !== undefined) fields.push(['Subject', encodeWords(opts.subject)]);
  fields.push(['Date', formatDate(opts.date ?? new Date())]);
  fields.push([
    'Message-ID',
    normalizeMessageId(opts.messageId ?? `${++counter}.${Date.now()}.${randomBytes(3).toString('hex')}`),
  ]);
  if (opts.inReplyTo !== undefined) fields.push(['In-Reply-To', normalizeMessageId(opts.inReplyTo)]);
  if (opts.references && opts.references.length > 0) {
    fields.push(['References', opts.references.map(normalizeMessageId).join('\r\n ')]);
  }

  const body = (opts.body ?? 'Test message body.\n').replace(/\r\n|\r|\n/g, '\r\n');
  const bodyIs8bit = NON_ASCII.test(body);
  fields.push(['MIME-Version', '1.0']);
  fields.push(['Content-Type', 'text/plain; charset=utf-8']);
  fields.push(['Content-Transfer-Encoding', bodyIs8bit ? '8bit' : '7bit']);

  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name))
      throw new Error(`makeMessage: invalid header name ${JSON.stringify(name)}`);
    if (/[\r\n]/.test(value)) throw new Error(`makeMessage: header ${name} must not contain line breaks`);
    const encoded = encodeWords(value);
    const existing = fields.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (existing >= 0) fields[existing] = [name, encoded];
    else fields.push([name, encoded]);
  }

  const head = fields.map(([n, v]) => `${n}: ${v}`).join('\r\n');
  const text = `${head}\r\n\r\n${body.endsWith('\r\n') ? body : body + '\r\n'}`;
  return Buffer.from(text, 'utf8');
}

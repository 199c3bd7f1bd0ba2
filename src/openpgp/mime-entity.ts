/**
 * The MIME plumbing PGP/MIME needs, on raw bytes: a message or body part split into its header
 * fields and its body, a multipart body split into its parts exactly as RFC 2046 delimits them
 * (the bytes a signature covers), multipart bodies written with a fresh random boundary that
 * cannot occur in the content, CRLF canonical form and a 7-bit transfer encoding for what is
 * signed. Pure; nothing here throws on hostile input except where a function says so.
 */
import { randomBytes } from 'node:crypto';
import libmime from 'libmime';
import { headerValue, splitMessage, type RawHeader } from '../message/headers';

export interface Entity {
  headers: RawHeader[];
  body: Buffer;
}

export interface ContentType {
  /** Lower-case type/subtype; text/plain when the entity names none (RFC 2045 default). */
  type: string;
  /** Parameters with lower-case names, RFC 2231 continuations joined. */
  params: Record<string, string>;
}

/** Header fields and body; the header field texts keep their bytes (latin1) and line ends. */
export function parseEntity(raw: Buffer): Entity {
  // A part with no header fields starts with its blank line.
  if (raw[0] === 0x0a) return { headers: [], body: raw.subarray(1) };
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { headers: [], body: raw.subarray(2) };
  const { headers, body } = splitMessage(raw);
  return { headers: headers.filter((h) => h.name !== ''), body };
}

/** The first field of that name (case-insensitive), or undefined. */
export function findHeader(headers: RawHeader[], name: string): RawHeader | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower);
}

/** The unfolded value of the first field of that name, or null. */
export function firstValue(headers: RawHeader[], name: string): string | null {
  const h = findHeader(headers, name);
  return h ? headerValue(h) : null;
}

export function contentTypeOf(headers: RawHeader[]): ContentType {
  const value = firstValue(headers, 'content-type');
  if (value === null) return { type: 'text/plain', params: { charset: 'us-ascii' } };
  try {
    const parsed = libmime.parseHeaderValue(value);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.params ?? {})) {
      if (typeof v === 'string') params[k.toLowerCase()] = v;
    }
    return {
      type: String(parsed.value ?? '')
        .trim()
        .toLowerCase(),
      params,
    };
  } catch {
    return { type: '', params: {} };
  }
}

export interface Multipart {
  /** Each body part, the bytes between the line end after one delimiter line and the line end before the next. */
  parts: Buffer[];
  /** The close delimiter ("--boundary--") was found. */
  closed: boolean;
}

/**
 * Splits a multipart body at its boundary (RFC 2046 5.1.1): a delimiter is "--" + boundary at
 * the start of a line, followed only by optional white space; the line end before it belongs
 * to the delimiter. Preamble and epilogue are dropped. A bare-LF body is read the same way.
 */
export function splitMultipart(body: Buffer, boundary: string): Multipart {
  const text = body.toString('latin1');
  const dash = `--${boundary}`;
  const parts: Buffer[] = [];
  let partStart = -1;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    const line = text.slice(pos, lineEnd).replace(/\r?\n$/, '');
    if (line.startsWith(dash)) {
      const rest = line.slice(dash.length);
      const isClose = /^--[ \t]*$/.test(rest);
      if (isClose || /^[ \t]*$/.test(rest)) {
        if (partStart >= 0) {
          // The line end before this delimiter line is part of the delimiter.
          let end = pos;
          if (end > partStart && text[end - 1] === '\n') end -= 1;
          if (end > partStart && text[end - 1] === '\r') end -= 1;
          parts.push(body.subarray(partStart, Math.max(partStart, end)));
        }
        if (isClose) return { parts, closed: true };
        partStart = lineEnd;
      }
    }
    if (nl < 0) break;
    pos = lineEnd;
  }
  return { parts, closed: false };
}

/** Every line end (CRLF, bare LF, bare CR) as CRLF: the canonical form RFC 3156 signs and encrypts. */
export function toCrlf(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const out = text.replace(/\r\n|\r|\n/g, '\r\n');
  return out === text ? data : Buffer.from(out, 'latin1');
}

/**
 * A boundary that occurs nowhere in the given contents: "=_" cannot appear in base64 or in
 * quoted-printable text, and it is checked against the contents anyway.
 */
export function freshBoundary(contents: Buffer[]): string {
  for (;;) {
    const boundary = `=_pgp_${randomBytes(18).toString('hex')}`;
    if (contents.every((c) => !c.includes(boundary))) return boundary;
  }
}

/** A multipart body: each part (header and body, CRLF) between delimiter lines, then the close delimiter. */
export function multipartBody(boundary: string, parts: Buffer[], preamble = ''): Buffer {
  const chunks: Buffer[] = [];
  if (preamble) chunks.push(Buffer.from(`${preamble}\r\n`, 'latin1'));
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`, 'latin1'), part, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}

/** A header field's text with CRLF line ends, ending in one CRLF. */
export function crlfField(h: RawHeader): string {
  return h.raw.replace(/\r?\n/g, '\r\n').replace(/(?:\r\n)*$/, '\r\n');
}

/** Header fields and body as one entity, CRLF throughout. */
export function writeEntity(headers: (RawHeader | string)[], body: Buffer): Buffer {
  const head = headers.map((h) => (typeof h === 'string' ? h.replace(/(?:\r\n)*$/, '\r\n') : crlfField(h))).join('');
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), toCrlf(body)]);
}

/** A new header field from a name and a one-line value. */
export function field(name: string, value: string): RawHeader {
  return { name, raw: `${name}: ${value}\r\n` };
}

/** Decodes a body by its Content-Transfer-Encoding (base64, quoted-printable; anything else as is). */
export function decodeTransfer(headers: RawHeader[], body: Buffer): Buffer {
  const cte = (firstValue(headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const text = body
      .toString('latin1')
      .replace(/[ \t]+(?=\r?\n)/g, '')
      .replace(/=\r?\n/g, '');
    return Buffer.from(
      text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    );
  }
  return body;
}

/** Any byte outside 7-bit US-ASCII, or NUL, or a line longer than 998 octets. */
function needs7bit(body: Buffer): boolean {
  for (const b of body) if (b === 0 || b > 0x7f) return true;
  return body
    .toString('latin1')
    .split('\n')
    .some((line) => line.length > 999);
}

const MAX_DEPTH = 20;

/**
 * The entity rewritten so that every leaf is 7-bit (RFC 3156 section 3: what is signed must
 * survive any mail server unchanged): a leaf with 8-bit bytes or overlong lines is encoded as
 * base64, multiparts are walked. Message/* parts are not re-encoded inside, only wrapped.
 */
export function to7bit(entity: Entity, depth = 0): Entity {
  const ct = contentTypeOf(entity.headers);
  const boundary = ct.params.boundary;
  if (ct.type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    const split = splitMultipart(entity.body, boundary);
    if (!split.closed) return entity;
    const parts = split.parts.map((p) => {
      const child = to7bit(parseEntity(p), depth + 1);
      return writeEntity(child.headers, child.body);
    });
    if (parts.every((p, i) => p.equals(split.parts[i] ?? Buffer.alloc(0)))) return entity;
    // Same boundary: the re-encoded parts are base64 or unchanged, so it cannot appear in them.
    return { headers: entity.headers, body: multipartBody(boundary, parts) };
  }
  if (!needs7bit(entity.body)) return entity;
  const decoded = decodeTransfer(entity.headers, entity.body);
  const lines = decoded.toString('base64').match(/.{1,76}/g) ?? [];
  const headers = entity.headers.filter((h) => h.name.toLowerCase() !== 'content-transfer-encoding');
  headers.push(field('Content-Transfer-Encoding', 'base64'));
  return { headers, body: Buffer.from(lines.join('\r\n') + '\r\n', 'latin1') };
}

export interface Walked {
  type: string;
  depth: number;
}

/** The content types of every entity in the tree below the top (depth >= 1), at most `limit` of them. */
export function descendants(entity: Entity, limit = 200): Walked[] {
  const out: Walked[] = [];
  const visit = (e: Entity, depth: number): void => {
    if (out.length >= limit || depth >= MAX_DEPTH) return;
    const ct = contentTypeOf(e.headers);
    const boundary = ct.params.boundary;
    if (!ct.type.startsWith('multipart/') || !boundary) return;
    for (const part of splitMultipart(e.body, boundary).parts) {
      if (out.length >= limit) return;
      const child = parseEntity(part);
      out.push({ type: contentTypeOf(child.headers).type, depth: depth + 1 });
      visit(child, depth + 1);
    }
  };
  visit(entity, 0);
  return out;
}

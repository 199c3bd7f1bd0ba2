/**
 * Header helpers that work on the raw bytes, so that a relayed message keeps every byte of its
 * body and every header we do not touch exactly as it came.
 */

export interface RawHeader {
  /** The name as written. */
  name: string;
  /** The whole field as it came, folding and line ends included. */
  raw: string;
}

export interface SplitMessage {
  headers: RawHeader[];
  /** Everything after the blank line that ends the header, untouched. */
  body: Buffer;
  /** The line end the message uses: CRLF, or LF for a message stored with bare newlines. */
  eol: '\r\n' | '\n';
}

/** RFC 5322 field name: printable US-ASCII except the colon, no spaces. */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * Splits a raw message into its header fields and its body. Header bytes are read as latin1 so
 * that 8-bit bytes in them pass through unchanged when written back.
 */
export function splitMessage(raw: Buffer): SplitMessage {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  let headerEnd: number;
  let bodyStart: number;
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) {
    headerEnd = crlf + 2;
    bodyStart = crlf + 4;
  } else if (lf >= 0) {
    headerEnd = lf + 1;
    bodyStart = lf + 2;
  } else {
    headerEnd = raw.length;
    bodyStart = raw.length;
  }
  const text = raw.subarray(0, headerEnd).toString('latin1');
  const eol = text.includes('\r\n') || headerEnd === raw.length ? '\r\n' : '\n';
  const headers: RawHeader[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    if (line === '') continue;
    const last = headers[headers.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.raw += line;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    // Not a field (an mbox "From " line, garbage): kept with no name, which nobody writes back.
    headers.push({ name: FIELD_NAME.test(name) ? name : '', raw: line.endsWith('\n') ? line : line + eol });
  }
  return { headers, body: raw.subarray(bodyStart), eol };
}

/** The unfolded value of a raw header field. */
export function headerValue(h: RawHeader): string {
  const colon = h.raw.indexOf(':');
  return unfold(h.raw.slice(colon + 1)).trim();
}

export function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '');
}

/**
 * Anything taken from a mail that goes into a header we write: line breaks and other control
 * characters become spaces, so that no text can start a header of its own.
 */
export function headerSafe(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/\s{2,}/g, ' ')
      .trim()
  );
}

export function joinMessage(headers: RawHeader[], body: Buffer, eol: string): Buffer {
  const head = headers.map((h) => h.raw).join('');
  return Buffer.concat([Buffer.from(head + eol, 'latin1'), body]);
}

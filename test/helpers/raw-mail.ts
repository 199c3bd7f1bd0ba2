/**
 * Raw messages written out line by line, for the malformed and hostile cases that
 * mail-factory's makeMessage() refuses to build (it rejects line breaks in header values).
 */

/** Joins lines with CRLF; the message ends with a CRLF. */
export function crlf(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

/** Joins lines with bare LF, as a message stored with Unix newlines. */
export function lf(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** An RFC 2047 encoded word (UTF-8, base64) for any text, line breaks included. */
export function encodedWord(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

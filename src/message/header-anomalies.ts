/**
 * Header lines that different readers split differently. A bare CR is a line end to Python's
 * email package and to some clients but not to mailparser; a NUL ends a string in C readers; a
 * line that is not a field ends the header for Python but is skipped by others; "Name :" is a
 * field for one reader and the start of the body for another. A sender who writes any of these
 * can show one reader a Cc or Reply-To that another does not see, so such a message is held
 * before it is acted on or relayed. Pure.
 */

export interface HeaderAnomaly {
  /** 1-based line of the header block. */
  line: number;
  /** What is wrong, for the moderators and the log. */
  problem: string;
}

/** The header block of a raw message as latin1 text (bytes kept one for one), without the blank line. */
function headerBlock(raw: Buffer): string {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf <= lf) ? crlf + 2 : lf >= 0 ? lf + 1 : raw.length;
  return raw.subarray(0, end).toString('latin1');
}

const FIELD = /^([\x21-\x39\x3b-\x7e]+):/;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Every anomaly of the header block, at most `limit` of them. */
export function headerAnomalies(raw: Buffer, limit = 5): HeaderAnomaly[] {
  const text = headerBlock(raw);
  const usesCrlf = /\r\n/.test(text) || !/\n/.test(text);
  const found: HeaderAnomaly[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length && found.length < limit; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    if (usesCrlf) {
      if (!line.endsWith('\r') && !(i === lines.length - 1 && !text.endsWith('\n'))) {
        found.push({
          line: lineNo,
          problem: 'a line feed without a carriage return (bare LF) in a message that ends its lines with CRLF',
        });
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
    }
    if (line.includes('\r'))
      found.push({
        line: lineNo,
        problem: 'a carriage return inside a line (bare CR), which some readers take for a line end',
      });
    else if (line.includes('\u0000')) found.push({ line: lineNo, problem: 'a NUL byte' });
    else if (CONTROL.test(line))
      found.push({
        line: lineNo,
        problem: `a control character (0x${line.charCodeAt(line.search(CONTROL)).toString(16).padStart(2, '0')})`,
      });
    else if (/^[ \t]/.test(line)) {
      if (i === 0) found.push({ line: lineNo, problem: 'a continuation line with no field before it' });
    } else if (!FIELD.test(line) && !(i === 0 && line.startsWith('From '))) {
      found.push({
        line: lineNo,
        problem: /^[^:\s]+[ \t]+:/.test(line)
          ? 'white space between a field name and its colon, which some readers take for the end of the header'
          : 'a line that is not a header field, which some readers take for the end of the header',
      });
    }
  }
  return found;
}

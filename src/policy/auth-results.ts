/**
 * Reading an Authentication-Results header field (RFC 8601): authserv-id, then one result per
 * method with its properties. Pure; what the results mean for a sender is judged in
 * sender-auth.ts.
 */

export interface ResultInfo {
  /** Lower-case method, without a method version: 'dkim', 'dmarc', 'spf', 'arc', ... */
  method: string;
  /** Lower-case result: 'pass', 'fail', 'none', ... */
  result: string;
  /** Lower-case ptype.property -> value as written (quotes removed): 'header.d' -> 'example.org'. */
  props: Map<string, string>;
}

export interface AuthenticationResults {
  /** As written, without quotes. */
  authservId: string;
  results: ResultInfo[];
  /** resinfo entries that could not be read; they never count. */
  malformed: number;
}

interface Token {
  text: string;
  quoted: boolean;
}

/**
 * Splits an Authentication-Results value into ';'-separated segments of tokens. Comments
 * (nested, with quoted-pairs) are CFWS and vanish, so a "(dkim=pass)" comment can say nothing;
 * quoted strings are single tokens, so a ';' or '=' inside quotes separates nothing; the first
 * '=' of a word is a token of its own, later ones are text (unquoted base64 in header.b=).
 * Returns null when a comment or a quoted string is never closed.
 */
function lex(value: string): Token[][] | null {
  const segments: Token[][] = [[]];
  let text = '';
  let quoted = false;
  let started = false;
  let eqInWord = false;
  const flush = (): void => {
    if (started) segments[segments.length - 1]!.push({ text, quoted });
    text = '';
    quoted = false;
    started = false;
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '(') {
      flush();
      eqInWord = false;
      let depth = 1;
      for (i++; i < value.length && depth > 0; i++) {
        const d = value[i]!;
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')') depth--;
      }
      if (depth > 0) return null;
      i--;
    } else if (c === '"') {
      let closed = false;
      for (i++; i < value.length; i++) {
        const d = value[i]!;
        if (d === '\\') {
          i++;
          text += value[i] ?? '';
          continue;
        }
        if (d === '"') {
          closed = true;
          break;
        }
        text += d;
      }
      if (!closed) return null;
      quoted = true;
      started = true;
    } else if (c === ';') {
      flush();
      eqInWord = false;
      segments.push([]);
    } else if (c === '=' && !eqInWord) {
      flush();
      eqInWord = true;
      segments[segments.length - 1]!.push({ text: '=', quoted: false });
    } else if (/\s/.test(c)) {
      flush();
      eqInWord = false;
    } else {
      text += c;
      started = true;
    }
  }
  flush();
  return segments;
}

const isEq = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.text === '=';

/** One resinfo: method[/version]=result, then reason=... and ptype.property=value pairs. */
function readResInfo(tokens: Token[]): ResultInfo | null {
  if (tokens.length % 3 !== 0 || tokens.length === 0) return null;
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < tokens.length; i += 3) {
    const [k, eq, v] = [tokens[i]!, tokens[i + 1], tokens[i + 2]];
    if (k.quoted || isEq(k) || !isEq(eq) || v === undefined || isEq(v)) return null;
    pairs.push([k.text.toLowerCase(), v.text]);
  }
  const [methodKey, resultValue] = pairs[0]!;
  const method = methodKey.split('/')[0]!.trim();
  if (!/^[a-z0-9_-]+$/.test(method) || resultValue === '') return null;
  const props = new Map<string, string>();
  for (const [key, val] of pairs.slice(1)) {
    if (key === 'reason') continue;
    // ptype.property (RFC 8601); a bare word such as Microsoft's "action=none" is kept as it is.
    // A property written twice is not something a receiving host writes: refuse the resinfo.
    if (!/^[a-z0-9_-]+(?:\.[a-z0-9_.-]+)?$/.test(key) || props.has(key)) return null;
    props.set(key, val);
  }
  return { method, result: resultValue.toLowerCase(), props };
}

/**
 * Parses an Authentication-Results value: authserv-id (a version number after it is ignored),
 * then resinfo entries. Null when the value cannot be read at all.
 */
export function parseAuthenticationResults(value: string): AuthenticationResults | null {
  const segments = lex(value);
  if (!segments) return null;
  const head = segments[0]!;
  const [id, version] = [head[0], head[1]];
  if (id === undefined || isEq(id) || id.text === '' || head.length > 2) return null;
  if (version !== undefined && (version.quoted || !/^\d+$/.test(version.text))) return null;
  const rest = segments.slice(1);
  const result: AuthenticationResults = { authservId: id.text, results: [], malformed: 0 };
  // "authserv-id; none": no result at all.
  if (rest.length === 1 && rest[0]!.length === 1 && rest[0]![0]!.text.toLowerCase() === 'none') return result;
  for (const seg of rest) {
    if (seg.length === 0) continue;
    const info = readResInfo(seg);
    if (info) result.results.push(info);
    else result.malformed++;
  }
  return result;
}

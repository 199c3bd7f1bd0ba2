/**
 * Sender authentication: does a message really come from the domain in its From?
 *
 * Moderators act by replying with keywords, so a keyword counts only when the reply is
 * authenticated: DKIM-aligned or DMARC pass. Two sources can say so:
 *
 * - an Authentication-Results header field (RFC 8601) added on receipt by a receiving host we
 *   trust (security.trustedAuthservIds); judgeAuthenticationResults() is pure;
 * - the daemon's own DKIM and DMARC verification with mailauth; verifyWithMailauth() needs DNS,
 *   through a resolver the caller may replace (tests always do).
 *
 * SPF never authenticates here: it vouches for the connecting IP and the envelope sender, not
 * for the From a moderator reads, and the daemon does not know the connecting IP anyway.
 */
import { domainToASCII } from 'node:url';
import type { DKIMResult } from 'mailauth';
import { getDomain } from 'tldts';
import { parseAddressList } from '../message/address';

export interface AuthVerdict {
  authenticated: boolean;
  /** How it was established; null when it was not. */
  method: 'authentication-results' | 'dkim-verified' | null;
  /** The From domain that was judged, lower-case ASCII; '' when the From is not one address. */
  fromDomain: string;
  /** What was looked at, for `explain` and the audit, one sentence each, in the order seen. */
  evidence: string[];
}

/** One header field, in message order (top first), value unfolded. */
export interface RawHeaderField { name: string; value: string }

/**
 * A DNS resolver in the shape mailauth expects for its `resolver` option, the shape of
 * `dns.promises.resolve(name, rrtype)`: mailauth asks only for 'TXT' here (the DKIM key at
 * `<selector>._domainkey.<domain>`, the DMARC record at `_dmarc.<domain>`), and a TXT answer is
 * one array of strings per record, the record's character-strings in order
 * (`[['v=DKIM1; k=rsa; p=MIIB', '...']]`). A name without records is reported by throwing an
 * Error whose `code` is 'ENOTFOUND' or 'ENODATA', as node's dns does; any other thrown code
 * makes the check a temperror, which never authenticates.
 */
export type TxtResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

export interface JudgeOptions {
  /**
   * How many Received header fields the receiving side writes above its own
   * Authentication-Results. 0 (the default) when the trusted host prepends its results above
   * its Received; 1 when, for example, a Dovecot LMTP delivery adds one more Received on top.
   * A trusted-id Authentication-Results below more Received fields than this was not added on
   * receipt and is never believed.
   */
  maxReceivedAbove?: number;
}

export interface AuthenticateOptions extends JudgeOptions {
  trustedAuthservIds: string[];
  /** Also verify DKIM and DMARC with mailauth when the Authentication-Results do not suffice. */
  verify: boolean;
  resolver?: TxtResolver;
  /** The clock for DKIM signature expiry (x=); defaults to now. */
  now?: Date;
}

// ---------------------------------------------------------------------------------------------
// Authentication-Results (RFC 8601)

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

interface Token { text: string; quoted: boolean }

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
        if (d === '\\') { i++; text += value[i] ?? ''; continue; }
        if (d === '"') { closed = true; break; }
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
    // A property written twice is not something a receiving host writes: refuse the resinfo.
    if (!/^[a-z0-9_-]+\.[a-z0-9_.-]+$/.test(key) || props.has(key)) return null;
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

// ---------------------------------------------------------------------------------------------
// Domains and alignment

/** Lower-case ASCII (A-label) form of a domain, without a trailing dot; '' when it is not one. */
export function normalizeDomain(domain: string): string {
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  if (d === '' || /[\s@]/.test(d)) return '';
  return domainToASCII(d);
}

/** The domain of "user@domain", "@domain" or a bare domain, normalized. */
function domainOf(value: string): string {
  return normalizeDomain(value.slice(value.lastIndexOf('@') + 1));
}

/** Organizational (registrable) domain; private suffixes such as github.io count as suffixes. */
function orgDomain(domain: string): string | null {
  return getDomain(domain, { allowPrivateDomains: true });
}

/** Relaxed alignment (RFC 7489 3.1.1): same domain, or the same organizational domain. */
export function aligned(a: string, b: string): boolean {
  const x = normalizeDomain(a);
  const y = normalizeDomain(b);
  if (x === '' || y === '') return false;
  if (x === y) return true;
  const ox = orgDomain(x);
  return ox !== null && ox === orgDomain(y);
}

/**
 * The one From domain to judge. `fromAddress` may be a bare address or a whole From value; it
 * must hold exactly one address, and the header fields, when they include From, must agree.
 */
function fromDomainOf(fromAddress: string, headers: RawHeaderField[]): { domain: string } | { problem: string } {
  const list = parseAddressList(fromAddress);
  if (list.length !== 1) {
    return { problem: `From holds ${list.length} addresses; authentication needs exactly one` };
  }
  const domain = domainOf(list[0]!.address);
  if (domain === '') return { problem: `From address ${list[0]!.address} has no usable domain` };
  const fields = headers.filter((h) => h.name.toLowerCase() === 'from');
  if (fields.length > 1) return { problem: `the message has ${fields.length} From header fields` };
  if (fields.length === 1) {
    const inHeader = parseAddressList(fields[0]!.value);
    if (inHeader.length !== 1) return { problem: `the From header field holds ${inHeader.length} addresses; authentication needs exactly one` };
    if (domainOf(inHeader[0]!.address) !== domain) {
      return { problem: `the From header field names ${domainOf(inHeader[0]!.address)}, not ${domain}` };
    }
  }
  return { domain };
}

// eslint-disable-next-line no-control-regex
const show = (v: string): string => v.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);

// ---------------------------------------------------------------------------------------------
// Judging the Authentication-Results

/** Whether one resinfo of a trusted host authenticates the From domain, and what to say. */
function judgeResInfo(info: ResultInfo, fromDomain: string): { pass: boolean; note: string } {
  const written = `${info.method}=${info.result}${[...info.props].map(([k, v]) => ` ${k}=${v}`).join('')}`;
  if (info.method === 'dmarc') {
    const hf = info.props.get('header.from');
    if (info.result !== 'pass') return { pass: false, note: written };
    if (hf === undefined) return { pass: false, note: `${written} (no header.from: not bound to this From)` };
    const d = domainOf(hf);
    // mailauth-based hosts write the organizational domain of the From in header.from.
    const same = d !== '' && (d === fromDomain || d === orgDomain(fromDomain));
    return same ? { pass: true, note: written } : { pass: false, note: `${written} (header.from is not ${fromDomain})` };
  }
  if (info.method === 'dkim') {
    if (info.result !== 'pass') return { pass: false, note: written };
    const d = info.props.get('header.d');
    const signer = d !== undefined ? domainOf(d) : domainOf(info.props.get('header.i') ?? '');
    if (signer === '') return { pass: false, note: `${written} (no header.d or header.i: signer unknown)` };
    return aligned(signer, fromDomain)
      ? { pass: true, note: `${written} (${signer} aligned with ${fromDomain})` }
      : { pass: false, note: `${written} (${signer} not aligned with ${fromDomain})` };
  }
  if (info.method === 'spf' && info.result === 'pass') return { pass: false, note: `${written} (SPF alone never authenticates)` };
  return { pass: false, note: written };
}

/**
 * Judges the topmost trusted Authentication-Results. Pure.
 *
 * Why only the topmost block: every host that receives a message prepends its own trace and
 * results above everything already there, so the header fields the trusted receiving host
 * added on receipt are on top, and everything the sender wrote, an Authentication-Results
 * with our trusted authserv-id included (RFC 8601 section 5 warns of exactly this), is further
 * down, below at least the Received field the receiving host wrote. So: scanning from the
 * top, the first Authentication-Results whose authserv-id is trusted starts the block, as long
 * as at most `maxReceivedAbove` Received fields lie above it; the block runs over the directly
 * following Authentication-Results fields (any authserv-id) and ends at the first field of any
 * other name. Only trusted-id fields inside the block count; every trusted-id field below it
 * is ignored, and the evidence says so. A forgery placed directly under the real block, with
 * no field between, cannot be told apart by position: the trusted host must delete incoming
 * fields that carry its authserv-id, which RFC 8601 section 5 requires of it.
 */
export function judgeAuthenticationResults(
  headers: RawHeaderField[],
  fromAddress: string,
  trustedAuthservIds: string[],
  options: JudgeOptions = {},
): AuthVerdict {
  const maxReceivedAbove = options.maxReceivedAbove ?? 0;
  const from = fromDomainOf(fromAddress, headers);
  if ('problem' in from) {
    return { authenticated: false, method: null, fromDomain: '', evidence: [`not authenticated: ${from.problem}`] };
  }
  const fromDomain = from.domain;
  const trusted = new Set(trustedAuthservIds.map(normalizeDomain).filter((d) => d !== ''));
  const evidence: string[] = [];
  if (trusted.size === 0) evidence.push('no trusted authserv-id is configured (security.trustedAuthservIds)');

  let state: 'before' | 'in' | 'after' = 'before';
  let receivedAbove = 0;
  let belowReason = 'below the topmost block';
  let authenticated = false;

  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (name !== 'authentication-results') {
      if (state === 'in') state = 'after';
      if (name === 'received') receivedAbove++;
      continue;
    }
    const ar = parseAuthenticationResults(h.value);
    if (!ar) {
      evidence.push(`ignored an Authentication-Results that cannot be parsed: ${show(h.value)}`);
      continue;
    }
    const id = show(ar.authservId);
    if (!trusted.has(normalizeDomain(ar.authservId))) {
      evidence.push(`ignored Authentication-Results from ${id} (not trusted)`);
      continue;
    }
    if (state === 'before' && receivedAbove > maxReceivedAbove) {
      state = 'after';
      belowReason = `below ${receivedAbove} Received header field${receivedAbove === 1 ? '' : 's'} with no trusted one above (at most ${maxReceivedAbove} allowed): not added on receipt`;
    }
    if (state === 'after') {
      evidence.push(`ignored Authentication-Results from ${id} ${belowReason}`);
      continue;
    }
    state = 'in';
    if (ar.results.length === 0 && ar.malformed === 0) evidence.push(`Authentication-Results from ${id}: none`);
    for (const info of ar.results) {
      const verdict = judgeResInfo(info, fromDomain);
      evidence.push(`Authentication-Results from ${id}: ${show(verdict.note)}`);
      if (verdict.pass) authenticated = true;
    }
    if (ar.malformed > 0) evidence.push(`Authentication-Results from ${id}: ignored ${ar.malformed} unreadable result${ar.malformed === 1 ? '' : 's'}`);
  }
  if (state === 'before' && trusted.size > 0) {
    evidence.push(`no Authentication-Results from a trusted host (${[...trusted].join(', ')})`);
  }
  return { authenticated, method: authenticated ? 'authentication-results' : null, fromDomain, evidence };
}

// ---------------------------------------------------------------------------------------------
// Verification by the daemon itself (mailauth)

/** What we read of a mailauth DKIM result; signingHeaders and the number in underSized are untyped there. */
type SignatureResult = DKIMResult & {
  signingHeaders?: { keys?: string };
  status: DKIMResult['status'] & { underSized?: number | boolean };
};

/** Why a passing signature still does not authenticate the From domain, or null when it does. */
function signatureProblem(r: SignatureResult, fromDomain: string): string | null {
  if (!aligned(r.signingDomain, fromDomain)) return `not aligned with ${fromDomain}`;
  const signed = (r.signingHeaders?.keys ?? '').split(':').map((k) => k.trim().toLowerCase());
  if (!signed.includes('from')) return 'the signature does not cover the From header field';
  // l= left bytes unsigned after the signed part: anyone could have appended them.
  if (r.status.underSized) return `l= leaves ${String(r.status.underSized)} body bytes unsigned`;
  return null;
}

/**
 * DKIM (and DMARC) verification by the daemon itself with mailauth. Authenticated when a DKIM
 * signature passes with a signing domain aligned (relaxed) with the From domain, or DMARC
 * passes. mailauth's dkimVerify() and dmarc() are called directly rather than its
 * authenticate(): that one also runs SPF, which without the connecting IP checks
 * "postmaster@undefined", and ARC and BIMI, none of which may decide anything here. DMARC is
 * given no SPF domains, so its pass can only come from an aligned DKIM signature.
 * Never throws: a failure to verify is a verdict that says why.
 */
export async function verifyWithMailauth(raw: Buffer, fromAddress: string, resolver?: TxtResolver, now?: Date): Promise<AuthVerdict> {
  const list = parseAddressList(fromAddress);
  const fromDomain = list.length === 1 ? domainOf(list[0]!.address) : '';
  const verdict = (authenticated: boolean, evidence: string[]): AuthVerdict =>
    ({ authenticated, method: authenticated ? 'dkim-verified' : null, fromDomain, evidence });
  if (fromDomain === '') return verdict(false, [`not authenticated: From holds ${list.length} addresses; authentication needs exactly one`]);

  const evidence: string[] = ['SPF not checked (the connecting IP is not known to the daemon)'];
  try {
    // Loaded when first needed: mailauth and its dependencies cost every command start-up time.
    const { dkimVerify, dmarc } = await import('mailauth');
    const dkim = await dkimVerify(raw, { ...(resolver ? { resolver } : {}), ...(now ? { curTime: now } : {}) });
    const headerFrom = dkim.headerFrom ?? [];
    if (headerFrom.length !== 1 || domainOf(headerFrom[0]!) !== fromDomain) {
      return verdict(false, [...evidence, `not authenticated: the message's From header fields hold ${headerFrom.map(show).join(', ') || 'no address'}, expected one address at ${fromDomain}`]);
    }
    const good: SignatureResult[] = [];
    for (const r of dkim.results as SignatureResult[]) {
      const result = r.status.result;
      const comment = typeof r.status.comment === 'string' && r.status.comment ? ` (${r.status.comment})` : '';
      if (!r.signingDomain) { evidence.push(`DKIM: ${result}${comment}`); continue; }
      const who = `DKIM signature d=${show(r.signingDomain)} s=${show(r.selector ?? '')}`;
      if (result !== 'pass') { evidence.push(`${who}: ${result}${comment}`); continue; }
      const problem = signatureProblem(r, fromDomain);
      evidence.push(problem ? `${who}: pass, but ${problem}` : `${who}: pass, aligned with ${fromDomain}`);
      if (!problem) good.push(r);
    }
    const dm = await dmarc({
      headerFrom,
      spfDomains: [],
      dkimDomains: good.map((r) => ({ ...(r.id ? { id: r.id } : {}), domain: r.signingDomain })),
      ...(resolver ? { resolver } : {}),
    });
    const dmarcPass = dm !== false && dm.status.result === 'pass';
    if (dm) {
      const comment = typeof dm.status.comment === 'string' && dm.status.comment ? ` (${dm.status.comment})` : '';
      evidence.push(`DMARC for ${show(dm.domain)}: ${dm.status.result}${comment}`);
    }
    return verdict(good.length > 0 || dmarcPass, evidence);
  } catch (err) {
    return verdict(false, [...evidence, `not authenticated: verification failed: ${show(err instanceof Error ? err.message : String(err))}`]);
  }
}

/**
 * Authenticated when the topmost trusted Authentication-Results say so, or, when `verify` is
 * set, the daemon's own mailauth verification does. Evidence of both is kept.
 */
export async function authenticateSender(
  raw: Buffer,
  headers: RawHeaderField[],
  fromAddress: string,
  opts: AuthenticateOptions,
): Promise<AuthVerdict> {
  const judged = judgeAuthenticationResults(headers, fromAddress, opts.trustedAuthservIds, opts);
  if (judged.authenticated || !opts.verify) return judged;
  if (judged.fromDomain === '') return judged;
  const verified = await verifyWithMailauth(raw, fromAddress, opts.resolver, opts.now);
  return { ...verified, evidence: [...judged.evidence, ...verified.evidence] };
}

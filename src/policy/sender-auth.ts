/**
 * Sender authentication: does a message really come from the domain in its From?
 *
 * Moderators act by replying with keywords, so a keyword counts only when the reply is
 * authenticated: a DKIM signature aligned with the From domain passed, and nothing trusted
 * failed or contradicted it. Two sources can say so:
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
import { parseAuthenticationResults, type ResultInfo } from './auth-results';

export { parseAuthenticationResults, type AuthenticationResults, type ResultInfo } from './auth-results';

export interface AuthVerdict {
  authenticated: boolean;
  /** How it was established; null when it was not. */
  method: 'authentication-results' | 'dkim-verified' | null;
  /** The From domain that was judged, lower-case ASCII; '' when the From is not one address. */
  fromDomain: string;
  /** What was looked at, for `explain` and the audit, one sentence each, in the order seen. */
  evidence: string[];
  /** The one finding that settled the verdict, naming the header field by its position (top = 1). */
  decidedBy: string;
  /**
   * A trusted result failed or contradicted another: nothing else may make this sender
   * authenticated, not even the daemon's own verification.
   */
  failed: boolean;
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

/** One result of a trusted field inside the topmost block, with where it was written. */
interface Seen {
  /** 1-based position of its header field, top first. */
  field: number;
  authservId: string;
  info: ResultInfo;
}

const where = (s: Pick<Seen, 'field' | 'authservId'>): string => `header field ${s.field} (Authentication-Results from ${show(s.authservId)})`;

const written = (info: ResultInfo): string =>
  show(`${info.method}=${info.result}${[...info.props].map(([k, v]) => ` ${k}=${v}`).join('')}`);

/** The signing domain of a dkim result: header.d, else the domain of header.i; '' when neither. */
function signerOf(info: ResultInfo): string {
  const d = info.props.get('header.d');
  return d !== undefined ? domainOf(d) : domainOf(info.props.get('header.i') ?? '');
}

/**
 * Whether two dkim results speak of the same signature. Hosts shorten header.b to its first
 * characters (OpenDKIM writes 8), so one b= that starts the other is the same signature. When
 * either result names no b=, the same signer and selector (or a missing selector) are taken as
 * the same signature: in doubt, a failure counts against the pass.
 */
function sameSignature(a: ResultInfo, b: ResultInfo): boolean {
  if (signerOf(a) !== signerOf(b)) return false;
  const [ba, bb] = [a.props.get('header.b'), b.props.get('header.b')];
  if (ba && bb) return ba.startsWith(bb) || bb.startsWith(ba);
  const [sa, sb] = [a.props.get('header.s'), b.props.get('header.s')];
  return sa === undefined || sb === undefined || sa.toLowerCase() === sb.toLowerCase();
}

/** Whether a dmarc result's header.from names this From domain (hosts built on mailauth write its organizational domain). */
function sameFromDomain(headerFrom: string, fromDomain: string): boolean {
  const d = domainOf(headerFrom);
  return d !== '' && (d === fromDomain || d === orgDomain(fromDomain));
}

/** DMARC results that are not a failure (temperror: the host could not look up); anything else is one. */
const DMARC_NOT_FAILED = new Set(['pass', 'none', 'temperror']);

/**
 * What the trusted results of the topmost block say, as a list of problems (any one refuses the
 * sender) and the aligned DKIM passes (at least one is needed). Pure.
 */
function weigh(seen: Seen[], fromDomain: string): { problems: string[]; passes: Seen[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const dkim = seen.filter((s) => s.info.method === 'dkim');
  const passes = dkim.filter((s) => s.info.result === 'pass' && signerOf(s.info) !== '' && aligned(signerOf(s.info), fromDomain));

  const dmarcResults = new Set<string>();
  for (const s of seen.filter((x) => x.info.method === 'dmarc')) {
    const hf = s.info.props.get('header.from');
    const r = s.info.result;
    if (hf === undefined) {
      if (!DMARC_NOT_FAILED.has(r)) problems.push(`${where(s)}: ${written(s.info)}, a DMARC failure naming no header.from`);
      continue;
    }
    if (!sameFromDomain(hf, fromDomain)) {
      problems.push(`${where(s)}: ${written(s.info)} was judged for another From domain than ${fromDomain}`);
      continue;
    }
    dmarcResults.add(r);
    if (!DMARC_NOT_FAILED.has(r)) problems.push(`${where(s)}: ${written(s.info)}`);
  }
  if (dmarcResults.size > 1) problems.push(`trusted DMARC results for ${fromDomain} disagree (${[...dmarcResults].join(' and ')})`);

  for (const s of dkim) {
    if (s.info.result === 'pass') continue;
    const signer = signerOf(s.info);
    if (s.info.result === 'none') {
      for (const p of passes) problems.push(`${where(s)}: dkim=none (no signature) contradicts dkim=pass in header field ${p.field}`);
      continue;
    }
    if (signer === '') {
      if (passes.length > 0) problems.push(`${where(s)}: ${written(s.info)} names no signer, so it may be the signature that passed`);
      continue;
    }
    if (!aligned(signer, fromDomain)) continue; // a third party's broken signature says nothing of this From
    const same = passes.find((p) => sameSignature(p.info, s.info));
    if (same) problems.push(`${where(s)}: ${written(s.info)} contradicts dkim=pass for the same signature in header field ${same.field}`);
    else if (passes.length > 0) notes.push(`${where(s)}: ${written(s.info)} is another signature than the one that passed (different header.b or selector)`);
    // temperror: the host could not fetch the key; no pass, but no failure either.
    else if (s.info.result !== 'temperror') problems.push(`${where(s)}: ${written(s.info)}`);
  }
  return { problems, passes, notes };
}

/**
 * Judges the topmost trusted Authentication-Results. Pure.
 *
 * Which fields: every host that receives a message prepends its own trace and results above
 * everything already there, so what the trusted receiving host added is on top and what the
 * sender wrote (an Authentication-Results with our trusted authserv-id included, RFC 8601
 * section 5) is further down, below at least one Received field. Scanning from the top, the
 * first field whose authserv-id is trusted starts the block, as long as at most
 * `maxReceivedAbove` Received fields lie above it; the block runs over the directly following
 * Authentication-Results fields (any authserv-id) and ends at the first field of another
 * name. Only trusted-id fields inside the block count.
 *
 * What they must say (fail closed): at least one dkim=pass whose signer (header.d) is aligned
 * with the From domain, and nothing that fails or contradicts it: no failing DMARC result for
 * the From domain (nor a DMARC result for another domain), no two DMARC results that differ,
 * no dkim=none beside a pass, no failure of the signature that passed, no failure of an aligned
 * signature when none passed, and no result the daemon cannot read. A dmarc=pass alone never
 * authenticates: OpenDMARC believes any field with its authserv-id, so a sender who writes
 * "<id>; spf=pass smtp.mailfrom=<domain>" earns a genuine dmarc=pass for an unsigned mail, and
 * SPF is what forwarding breaks anyway. A broken signature beside a good one of the same
 * domain (a different header.b) is normal and does not refuse the sender; a third party's
 * broken signature says nothing.
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
    const why = `not authenticated: ${from.problem}`;
    return { authenticated: false, method: null, fromDomain: '', evidence: [why], decidedBy: why, failed: true };
  }
  const fromDomain = from.domain;
  const trusted = new Set(trustedAuthservIds.map(normalizeDomain).filter((d) => d !== ''));
  const evidence: string[] = [];
  if (trusted.size === 0) evidence.push('no trusted authserv-id is configured (security.trustedAuthservIds)');

  let state: 'before' | 'in' | 'after' = 'before';
  let receivedAbove = 0;
  let belowReason = 'below the topmost block';
  const seen: Seen[] = [];
  const unreadable: string[] = [];

  headers.forEach((h, index) => {
    const field = index + 1;
    const name = h.name.toLowerCase();
    if (name !== 'authentication-results') {
      if (state === 'in') state = 'after';
      if (name === 'received') receivedAbove++;
      return;
    }
    const ar = parseAuthenticationResults(h.value);
    // An unreadable field is judged by the authserv-id it starts with, when one can be seen.
    const id = ar?.authservId ?? /^\s*([^\s;(]+)/.exec(h.value)?.[1] ?? '';
    if (!trusted.has(normalizeDomain(id))) {
      evidence.push(ar ? `ignored Authentication-Results from ${show(id)} (not trusted)` : `ignored an Authentication-Results that cannot be parsed: ${show(h.value)}`);
      return;
    }
    if (state === 'before' && receivedAbove > maxReceivedAbove) {
      state = 'after';
      belowReason = `below ${receivedAbove} Received header field${receivedAbove === 1 ? '' : 's'} with no trusted one above (at most ${maxReceivedAbove} allowed): not added on receipt`;
    }
    if (state === 'after') {
      evidence.push(`ignored Authentication-Results from ${show(id)} ${belowReason}`);
      return;
    }
    state = 'in';
    if (!ar) {
      unreadable.push(`${where({ field, authservId: id })} cannot be read: ${show(h.value)}`);
      evidence.push(unreadable.at(-1)!);
      return;
    }
    if (ar.results.length === 0 && ar.malformed === 0) evidence.push(`Authentication-Results from ${show(id)}: none`);
    for (const info of ar.results) {
      seen.push({ field, authservId: ar.authservId, info });
      evidence.push(`Authentication-Results from ${show(id)}: ${written(info)}${describe(info, fromDomain)}`);
    }
    if (ar.malformed > 0) {
      unreadable.push(`${where({ field, authservId: id })} holds ${ar.malformed} unreadable result${ar.malformed === 1 ? '' : 's'}`);
      evidence.push(unreadable.at(-1)!);
    }
  });
  if (state === 'before' && trusted.size > 0) {
    evidence.push(`no Authentication-Results from a trusted host (${[...trusted].join(', ')})`);
  }

  const { problems, passes, notes } = weigh(seen, fromDomain);
  problems.push(...unreadable.map((u) => `${u}; an unreadable result of a trusted host may be a failure`));
  evidence.push(...notes);
  const verdict = (authenticated: boolean, decidedBy: string, failed: boolean): AuthVerdict =>
    ({ authenticated, method: authenticated ? 'authentication-results' : null, fromDomain, evidence: [...evidence], decidedBy, failed });
  if (problems.length > 0) {
    evidence.push(...problems.map((p) => `not authenticated: ${p}`));
    return verdict(false, problems[0]!, true);
  }
  if (passes.length > 0) {
    const p = passes[0]!;
    return verdict(true, `${where(p)}: ${written(p.info)} (${signerOf(p.info)} aligned with ${fromDomain})`, false);
  }
  if (seen.length === 0) return verdict(false, `no trusted Authentication-Results at the top of the message`, false);
  const dmarcPass = seen.find((s) => s.info.method === 'dmarc' && s.info.result === 'pass');
  return verdict(false, dmarcPass
    ? `${where(dmarcPass)}: dmarc=pass without a dkim=pass aligned with ${fromDomain} in the same block (DMARC by SPF alone never authenticates)`
    : `the topmost trusted block holds no dkim=pass aligned with ${fromDomain}`, false);
}

/** A short comment on one result for the evidence: why it does or does not count. */
function describe(info: ResultInfo, fromDomain: string): string {
  if (info.method === 'dkim' && info.result === 'pass') {
    const signer = signerOf(info);
    if (signer === '') return ' (no header.d or header.i: signer unknown)';
    return aligned(signer, fromDomain) ? ` (${signer} aligned with ${fromDomain})` : ` (${signer} not aligned with ${fromDomain})`;
  }
  if (info.method === 'dmarc' && info.result === 'pass') {
    const hf = info.props.get('header.from');
    if (hf === undefined) return ' (no header.from: not bound to this From)';
    return sameFromDomain(hf, fromDomain) ? ' (counts only with an aligned dkim=pass)' : ` (header.from is not ${fromDomain})`;
  }
  if (info.method === 'spf' && info.result === 'pass') return ' (SPF alone never authenticates)';
  return '';
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
  const verdict = (authenticated: boolean, evidence: string[]): AuthVerdict => {
    const decidedBy = `the daemon's own DKIM verification: ${evidence.at(-1) ?? ''}`;
    return { authenticated, method: authenticated ? 'dkim-verified' : null, fromDomain, evidence, decidedBy, failed: !authenticated };
  };
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
    const first = good[0];
    evidence.push(first
      ? `DKIM signature d=${show(first.signingDomain)} s=${show(first.selector ?? '')} passed, aligned with ${fromDomain}`
      : `not authenticated: no DKIM signature aligned with ${fromDomain} passed`);
    return verdict(good.length > 0 || dmarcPass, evidence);
  } catch (err) {
    return verdict(false, [...evidence, `not authenticated: verification failed: ${show(err instanceof Error ? err.message : String(err))}`]);
  }
}

/**
 * Without `verify`, the topmost trusted Authentication-Results decide. With it, the daemon's
 * own DKIM verification decides: a header cannot override a verification of ours that fails,
 * and a trusted result that fails or contradicts itself refuses the sender before anything is
 * looked up. Evidence of both is kept.
 */
export async function authenticateSender(
  raw: Buffer,
  headers: RawHeaderField[],
  fromAddress: string,
  opts: AuthenticateOptions,
): Promise<AuthVerdict> {
  const judged = judgeAuthenticationResults(headers, fromAddress, opts.trustedAuthservIds, opts);
  if (!opts.verify || judged.fromDomain === '' || judged.failed) return judged;
  const verified = await verifyWithMailauth(raw, fromAddress, opts.resolver, opts.now);
  return { ...verified, evidence: [...judged.evidence, ...verified.evidence] };
}

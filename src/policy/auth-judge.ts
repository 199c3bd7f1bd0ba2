/**
 * Judging the Authentication-Results a trusted receiving host wrote on top of a message: the
 * topmost block only, and only an aligned DKIM pass with nothing failing or contradicting it
 * authenticates. Pure.
 */
import { aligned, domainOf, fromDomainOf, orgDomain, show } from './auth-domains';
import { parseAuthenticationResults, type ResultInfo } from './auth-results';
import type { AuthVerdict, JudgeOptions, RawHeaderField } from './auth-types';
import { normalizeDomain } from '../message/address';

/** One result of a trusted field inside the topmost block, with where it was written. */
interface Seen {
  /** 1-based position of its header field, top first. */
  field: number;
  authservId: string;
  info: ResultInfo;
}

const where = (s: Pick<Seen, 'field' | 'authservId'>): string =>
  `header field ${s.field} (Authentication-Results from ${show(s.authservId)})`;

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
  const passes = dkim.filter(
    (s) => s.info.result === 'pass' && signerOf(s.info) !== '' && aligned(signerOf(s.info), fromDomain),
  );

  const dmarcResults = new Set<string>();
  for (const s of seen.filter((x) => x.info.method === 'dmarc')) {
    const hf = s.info.props.get('header.from');
    const r = s.info.result;
    if (hf === undefined) {
      if (!DMARC_NOT_FAILED.has(r))
        problems.push(`${where(s)}: ${written(s.info)}, a DMARC failure naming no header.from`);
      continue;
    }
    if (!sameFromDomain(hf, fromDomain)) {
      problems.push(`${where(s)}: ${written(s.info)} was judged for another From domain than ${fromDomain}`);
      continue;
    }
    dmarcResults.add(r);
    if (!DMARC_NOT_FAILED.has(r)) problems.push(`${where(s)}: ${written(s.info)}`);
  }
  if (dmarcResults.size > 1)
    problems.push(`trusted DMARC results for ${fromDomain} disagree (${[...dmarcResults].join(' and ')})`);

  for (const s of dkim) {
    if (s.info.result === 'pass') continue;
    const signer = signerOf(s.info);
    if (s.info.result === 'none') {
      for (const p of passes)
        problems.push(`${where(s)}: dkim=none (no signature) contradicts dkim=pass in header field ${p.field}`);
      continue;
    }
    if (signer === '') {
      if (passes.length > 0)
        problems.push(`${where(s)}: ${written(s.info)} names no signer, so it may be the signature that passed`);
      continue;
    }
    if (!aligned(signer, fromDomain)) continue; // a third party's broken signature says nothing of this From
    const same = passes.find((p) => sameSignature(p.info, s.info));
    if (same)
      problems.push(
        `${where(s)}: ${written(s.info)} contradicts dkim=pass for the same signature in header field ${same.field}`,
      );
    else if (passes.length > 0)
      notes.push(
        `${where(s)}: ${written(s.info)} is another signature than the one that passed (different header.b or selector)`,
      );
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
      evidence.push(
        ar
          ? `ignored Authentication-Results from ${show(id)} (not trusted)`
          : `ignored an Authentication-Results that cannot be parsed: ${show(h.value)}`,
      );
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
      unreadable.push(
        `${where({ field, authservId: id })} holds ${ar.malformed} unreadable result${ar.malformed === 1 ? '' : 's'}`,
      );
      evidence.push(unreadable.at(-1)!);
    }
  });
  if (state === 'before' && trusted.size > 0) {
    evidence.push(`no Authentication-Results from a trusted host (${[...trusted].join(', ')})`);
  }

  const { problems, passes, notes } = weigh(seen, fromDomain);
  problems.push(...unreadable.map((u) => `${u}; an unreadable result of a trusted host may be a failure`));
  evidence.push(...notes);
  const verdict = (authenticated: boolean, decidedBy: string, failed: boolean): AuthVerdict => ({
    authenticated,
    method: authenticated ? 'authentication-results' : null,
    fromDomain,
    evidence: [...evidence],
    decidedBy,
    failed,
  });
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
  return verdict(
    false,
    dmarcPass
      ? `${where(dmarcPass)}: dmarc=pass without a dkim=pass aligned with ${fromDomain} in the same block (DMARC by SPF alone never authenticates)`
      : `the topmost trusted block holds no dkim=pass aligned with ${fromDomain}`,
    false,
  );
}

/** A short comment on one result for the evidence: why it does or does not count. */
function describe(info: ResultInfo, fromDomain: string): string {
  if (info.method === 'dkim' && info.result === 'pass') {
    const signer = signerOf(info);
    if (signer === '') return ' (no header.d or header.i: signer unknown)';
    return aligned(signer, fromDomain)
      ? ` (${signer} aligned with ${fromDomain})`
      : ` (${signer} not aligned with ${fromDomain})`;
  }
  if (info.method === 'dmarc' && info.result === 'pass') {
    const hf = info.props.get('header.from');
    if (hf === undefined) return ' (no header.from: not bound to this From)';
    return sameFromDomain(hf, fromDomain)
      ? ' (counts only with an aligned dkim=pass)'
      : ` (header.from is not ${fromDomain})`;
  }
  if (info.method === 'spf' && info.result === 'pass') return ' (SPF alone never authenticates)';
  return '';
}

/**
 * DKIM (and DMARC) verification by the daemon itself, with mailauth. Needs DNS, through a
 * resolver the caller may replace (tests always do).
 */
import type { DKIMResult } from 'mailauth';
import { parseAddressList } from '../message/address';
import { aligned, domainOf, show } from './auth-domains';
import type { AuthVerdict, TxtResolver } from './auth-types';

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
export async function verifyWithMailauth(
  raw: Buffer,
  fromAddress: string,
  resolver?: TxtResolver,
  now?: Date,
): Promise<AuthVerdict> {
  const list = parseAddressList(fromAddress);
  const fromDomain = list.length === 1 ? domainOf(list[0]!.address) : '';
  const verdict = (authenticated: boolean, evidence: string[]): AuthVerdict => {
    const decidedBy = `the daemon's own DKIM verification: ${evidence.at(-1) ?? ''}`;
    return {
      authenticated,
      method: authenticated ? 'dkim-verified' : null,
      fromDomain,
      evidence,
      decidedBy,
      failed: !authenticated,
    };
  };
  if (fromDomain === '')
    return verdict(false, [`not authenticated: From holds ${list.length} addresses; authentication needs exactly one`]);

  const evidence: string[] = ['SPF not checked (the connecting IP is not known to the daemon)'];
  try {
    // Loaded when first needed: mailauth and its dependencies cost every command start-up time.
    const { dkimVerify, dmarc } = await import('mailauth');
    const dkim = await dkimVerify(raw, { ...(resolver ? { resolver } : {}), ...(now ? { curTime: now } : {}) });
    const headerFrom = dkim.headerFrom ?? [];
    if (headerFrom.length !== 1 || domainOf(headerFrom[0]!) !== fromDomain) {
      return verdict(false, [
        ...evidence,
        `not authenticated: the message's From header fields hold ${headerFrom.map(show).join(', ') || 'no address'}, expected one address at ${fromDomain}`,
      ]);
    }
    const good: SignatureResult[] = [];
    for (const r of dkim.results as SignatureResult[]) {
      const result = r.status.result;
      const comment = typeof r.status.comment === 'string' && r.status.comment ? ` (${r.status.comment})` : '';
      if (!r.signingDomain) {
        evidence.push(`DKIM: ${result}${comment}`);
        continue;
      }
      const who = `DKIM signature d=${show(r.signingDomain)} s=${show(r.selector ?? '')}`;
      if (result !== 'pass') {
        evidence.push(`${who}: ${result}${comment}`);
        continue;
      }
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
    evidence.push(
      first
        ? `DKIM signature d=${show(first.signingDomain)} s=${show(first.selector ?? '')} passed, aligned with ${fromDomain}`
        : `not authenticated: no DKIM signature aligned with ${fromDomain} passed`,
    );
    return verdict(good.length > 0 || dmarcPass, evidence);
  } catch (err) {
    return verdict(false, [
      ...evidence,
      `not authenticated: verification failed: ${show(err instanceof Error ? err.message : String(err))}`,
    ]);
  }
}

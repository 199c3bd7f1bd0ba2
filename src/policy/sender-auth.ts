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
import { judgeAuthenticationResults } from './auth-judge';
import type { AuthenticateOptions, AuthVerdict, RawHeaderField } from './auth-types';
import { verifyWithMailauth } from './dkim-verify';

export { parseAuthenticationResults, type AuthenticationResults, type ResultInfo } from './auth-results';
export { aligned } from './auth-domains';
export { judgeAuthenticationResults } from './auth-judge';
export { verifyWithMailauth } from './dkim-verify';
export type { AuthenticateOptions, AuthVerdict, JudgeOptions, RawHeaderField, TxtResolver } from './auth-types';

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

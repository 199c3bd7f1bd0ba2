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
 * A moderator's mail may also carry an OpenPGP signature (RFC 3156 multipart/signed, or inside
 * the encryption to the list's key); judgeSignature() weighs it beside DKIM: a valid signature by
 * the key registered to that moderator authenticates, and any other signature refuses.
 *
 * SPF never authenticates here: it vouches for the connecting IP and the envelope sender, not
 * for the From a moderator reads, and the daemon does not know the connecting IP anyway.
 */
import { judgeAuthenticationResults } from './auth-judge';
import type { AuthenticateOptions, AuthVerdict, RawHeaderField } from './auth-types';
import type { SignatureEvidence } from '../openpgp/inbound';
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

/**
 * The sender's verdict with an OpenPGP signature weighed in. Pure. Fail closed:
 *
 * - a valid signature by the key registered to the From as a moderator (not expired, not
 *   revoked) authenticates, method 'openpgp-signature', for the tokens inside what it signs
 *   only (signedTokens); when DKIM authenticates the mail as well, DKIM decides (it covers the
 *   outer In-Reply-To and Subject too) and the signature is noted in the evidence;
 * - a present but bad signature (does not verify, covers only part of the body, unreadable),
 *   a valid one by any other registered key (another moderator's, a member's), or one by the
 *   registered key after its end or revocation refuses the sender, even when DKIM passed
 *   (failed: nothing else may authenticate it);
 * - a signature by a key nobody registered refuses when the From has a registered moderator key,
 *   and is only noted when it has none (then DKIM decides as if the mail were unsigned: a
 *   moderator whose client signs everything need not register a key to keep using DKIM);
 * - a trusted DKIM or DMARC failure (dkim.failed) stands: the signature does not override it.
 */
/** A signature made longer ago than this never authenticates: a captured one cannot be kept for later. */
export const SIGNATURE_MAX_AGE_DAYS = 7;
/** How far in the future a signature's time may be (the signer's clock running ahead). */
const SIGNATURE_CLOCK_SKEW_MS = 10 * 60_000;

export function judgeSignature(dkim: AuthVerdict, sig: SignatureEvidence, fromAddress: string, now: Date): AuthVerdict {
  const where = sig.source === 'encrypted' ? 'inside the encryption' : 'multipart/signed';
  const refuse = (why: string): AuthVerdict => {
    const decidedBy = `openpgp signature (${where}): ${why}`;
    return {
      ...dkim,
      authenticated: false,
      method: null,
      evidence: [...dkim.evidence, `not authenticated: ${decidedBy}`],
      decidedBy,
      failed: true,
    };
  };
  const { verdict, registered } = sig;
  if (!verdict.ok) {
    if (verdict.code === 'UNKNOWN_SIGNER' && !registered) {
      const note = `openpgp signature (${where}) by key ${verdict.keyIds?.join(', ') ?? '?'} ignored: no key is registered to ${fromAddress}`;
      return { ...dkim, evidence: [...dkim.evidence, note] };
    }
    if (verdict.code === 'UNKNOWN_SIGNER')
      return refuse(
        `${verdict.code}: ${verdict.detail}; the key registered to ${fromAddress} is ${registered!.fingerprint}`,
      );
    return refuse(`${verdict.code}: ${verdict.detail}`);
  }
  if (!registered || registered.fingerprint !== verdict.fingerprint)
    return refuse(
      `signed by ${verdict.fingerprint} (${sig.signerOwner ?? 'a registered key'}), not by the key registered to ${fromAddress}` +
        (registered ? ` (${registered.fingerprint})` : ' (none is registered)'),
    );
  if (registered.state !== 'usable')
    return refuse(
      `signed by ${verdict.fingerprint}, the key registered to ${fromAddress}, which is ${registered.state}`,
    );
  const made = verdict.created?.getTime() ?? null;
  if (made === null) return refuse(`signed by ${verdict.fingerprint} with no signature time: its age cannot be told`);
  if (made > now.getTime() + SIGNATURE_CLOCK_SKEW_MS)
    return refuse(`signed by ${verdict.fingerprint} at ${verdict.created!.toISOString()}, in the future`);
  if (made < now.getTime() - SIGNATURE_MAX_AGE_DAYS * 86_400_000)
    return refuse(
      `signed by ${verdict.fingerprint} at ${verdict.created!.toISOString()}, more than ${SIGNATURE_MAX_AGE_DAYS} days ago: an old signature is not taken as proof now`,
    );
  const good = `openpgp signature by ${verdict.fingerprint}`;
  if (dkim.failed) return { ...dkim, evidence: [...dkim.evidence, `${good} (${where}); a trusted failure stands`] };
  if (dkim.authenticated) return { ...dkim, evidence: [...dkim.evidence, `${good} (${where}), valid as well`] };
  return {
    authenticated: true,
    method: 'openpgp-signature',
    fromDomain: dkim.fromDomain,
    evidence: [
      ...dkim.evidence,
      `${good} (${where}), the key registered to ${fromAddress}; tokens it signs: ${sig.signedTokens.map((t) => `tk-${t}`).join(', ') || 'none'}`,
    ],
    decidedBy: good,
    failed: false,
    signedTokens: sig.signedTokens,
    ...(sig.id
      ? { signature: { id: sig.id, fingerprint: verdict.fingerprint, signedAt: verdict.created!.toISOString() } }
      : {}),
  };
}

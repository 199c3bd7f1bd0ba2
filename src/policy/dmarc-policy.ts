/**
 * The DMARC policy an author's domain publishes (RFC 7489 section 6.6.3: the From domain's
 * _dmarc record, else the organizational domain's, whose sp= then applies). Used by
 * relay.fromRewrite "dmarc": only authors whose policy makes receivers quarantine or reject a
 * modified copy get the From rewrite.
 */
import dns from 'node:dns';
import { getDomain } from 'tldts';
import type { TxtResolver } from './sender-auth';

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

const systemResolver: TxtResolver = (name) => dns.promises.resolveTxt(name);

async function record(name: string, resolver: TxtResolver): Promise<Map<string, string> | null> {
  let answers: unknown;
  try {
    answers = await resolver(name, 'TXT');
  } catch {
    return null;
  }
  const texts = (Array.isArray(answers) ? answers : []).map((a) => (Array.isArray(a) ? a.join('') : String(a)));
  const dmarc = texts.find((t) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(t.trim()));
  if (!dmarc) return null;
  return new Map(
    dmarc
      .split(';')
      .map(
        (tag) =>
          tag
            .trim()
            .split('=')
            .map((x) => x.trim().toLowerCase()) as [string, string],
      )
      .filter(([k, v]) => k && v !== undefined),
  );
}

function policyOf(value: string | undefined): DmarcPolicy | null {
  return value === 'none' || value === 'quarantine' || value === 'reject' ? value : null;
}

/** The policy for mail From this domain, or null when none is published (or DNS fails). */
export async function dmarcPolicyFor(
  domain: string,
  resolver: TxtResolver = systemResolver,
): Promise<DmarcPolicy | null> {
  const own = await record(`_dmarc.${domain}`, resolver);
  if (own) return policyOf(own.get('p'));
  const org = getDomain(domain);
  if (!org || org === domain) return null;
  const parent = await record(`_dmarc.${org}`, resolver);
  return parent ? policyOf(parent.get('sp') ?? parent.get('p')) : null;
}

/** Would receivers enforcing this policy quarantine or refuse a copy we modified? */
export function isStrict(p: DmarcPolicy | null): boolean {
  return p === 'quarantine' || p === 'reject';
}

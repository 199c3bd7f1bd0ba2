/** Does the alias's domain pose as another one ("google.com.attacker.example")? */
import { getDomain, getPublicSuffix } from 'tldts';
import { domainSet, normalizeDomain, PSL_WITH_PRIVATE, type ParsedAddress } from './address';
import { aliasLists } from './domain-lists';
import { block, type AliasCheckInput, type AliasFinding, type AliasPolicy } from './types';

/** Suffixes whose appearance inside a host name reads as a domain of its own, not as a team's label. */
const LEGACY_GTLDS = new Set(['com', 'net', 'org', 'edu', 'gov', 'mil', 'int']);

/**
 * Every run of two labels or more inside the part of the domain left of its registrable domain:
 * for security.acme.example.evil.example (registrable evil.example) these are security.acme,
 * security.acme.example, acme.example. A genuine subdomain of a domain is never among them.
 */
function embeddedDomains(domain: string): string[] {
  const reg = getDomain(domain, PSL_WITH_PRIVATE) ?? domain;
  if (domain === reg || !domain.endsWith(`.${reg}`)) return [];
  const labels = domain.slice(0, -(reg.length + 1)).split('.');
  const runs: string[] = [];
  for (let i = 0; i < labels.length; i += 1) {
    for (let j = i + 2; j <= labels.length; j += 1) runs.push(labels.slice(i, j).join('.'));
  }
  return runs;
}

/** A run that reads as a complete domain by its shape: it ends in com/net/org/... or in a two-label suffix such as co.uk. */
function looksLikeDomain(run: string): boolean {
  const suffix = getPublicSuffix(run, { allowPrivateDomains: false });
  if (!suffix || suffix === run) return false;
  return LEGACY_GTLDS.has(suffix) || suffix.includes('.');
}

/** The member domains (as given and as registrable domains), in lower-case ASCII. */
function memberDomainSet(domains: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const raw of domains) {
    const d = normalizeDomain(raw.replace(/^.*@/, ''));
    if (!d) continue;
    set.add(d);
    const reg = getDomain(d, PSL_WITH_PRIVATE);
    if (reg) set.add(reg);
  }
  return set;
}

/**
 * At most one finding for a member's domain (a warning: which domains are members' is for the
 * moderators, never told to the applicant) and one for any other domain (blocking: a well-known
 * provider, a domain the policy names, or a run that is a complete domain by its shape).
 */
export function lookalikeFindings(
  alias: ParsedAddress,
  aliasReg: string,
  input: AliasCheckInput,
  policy: AliasPolicy,
): AliasFinding[] {
  const runs = embeddedDomains(alias.domain);
  if (runs.length === 0) return [];
  const findings: AliasFinding[] = [];
  const members = memberDomainSet(input.memberDomains ?? []);
  const ofMember = runs.find((r) => members.has(r));
  if (ofMember) {
    findings.push({
      code: 'ALIAS_LOOKALIKE_DOMAIN',
      severity: 'warn',
      message: `The alias ${alias.address} is at ${aliasReg}, but its name begins with ${ofMember}, the domain of a member's alias: a moderator should check that the applicant is not posing as that member.`,
    });
  }
  const known = [
    aliasLists().freemail,
    domainSet(policy.allowDomains),
    domainSet(Object.values(policy.organizationDomains).flat()),
  ];
  // Judged without regard to members, so that what the applicant is told never shows whose domain is a member's.
  const posed = runs.find((r) => known.some((set) => set.has(r)) || looksLikeDomain(r));
  const wellKnown = posed ? (getDomain(posed) ?? posed) : undefined;
  if (wellKnown) {
    findings.push(
      block(
        'ALIAS_LOOKALIKE_DOMAIN',
        `The alias ${alias.address} is at ${aliasReg}, not at ${wellKnown} as its name suggests, so give a security alias at a domain your organization owns whose name does not imitate another.`,
      ),
    );
  }
  return findings;
}

/**
 * Who leaked: the member alias a leak report is counted against. The policy asks the member who
 * leaked to report it ("you must urgently inform the mailing list by replying to the initial
 * disclosure email"), so a report is the reporter's own unless a "Leaked by:" line names someone
 * else. A name becomes a member only when exactly one active member answers to it: an
 * organization that several members share is never resolved to one of them. Pure, no I/O.
 */
import { parseAddressList, sameAddress } from '../message/address';
import { organizationKey } from './organization-match';

export type Attribution = 'self' | 'named' | 'ambiguous' | 'unknown';

export interface MemberRef {
  address: string;
  organization: string;
}

export interface LeakAttribution {
  attribution: Attribution;
  /** The member the leak is attributed to; null when the report does not name exactly one. */
  leaker: MemberRef | null;
  /** What the report wrote after "Leaked by:" (joined with "; ", at most CLAIM_MAX characters); null when nothing. */
  claim: string | null;
  /** The aliases an ambiguous name matched, sorted. */
  candidates: string[];
}

export const CLAIM_MAX = 200;

/** Words a reporter uses for their own organization. */
const SELF_WORDS = new Set([
  'me',
  'us',
  'we',
  'i',
  'myself',
  'ourselves',
  'our team',
  'my team',
  'our organization',
  'our organisation',
  'the reporter',
]);

/** Characters a reader does not see: zero-width space, joiners, word joiner, BOM, soft hyphen. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]/g;

/** Controls (C0, DEL, C1) and bidirectional overrides: never shown to a moderator as part of a name. */
// eslint-disable-next-line no-control-regex
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Two organization names are one by the same key the join-time check uses (policy/organization-match:
 * case, spaces, punctuation, width, look-alike letters, a trailing legal form), so a name that
 * collides there is shared here. A name with nothing distinctive left matches nothing.
 */
export function sameOrganization(a: string, b: string): boolean {
  const ka = organizationKey(a);
  return ka !== '' && ka === organizationKey(b);
}

/** The members one claim names, and whether part of it names nobody. */
function resolveClaim(
  reporter: MemberRef,
  claim: string,
  members: readonly MemberRef[],
): { hits: MemberRef[]; unresolved: boolean } {
  const words = claim
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/[.!]+$/, '');
  if (SELF_WORDS.has(words)) return { hits: [reporter], unresolved: false };
  const addresses = parseAddressList(claim.normalize('NFKC').replace(INVISIBLE, ''));
  if (addresses.length > 0) {
    const hits: MemberRef[] = [];
    let unresolved = false;
    for (const a of addresses) {
      const m = sameAddress(a.address, reporter.address)
        ? reporter
        : members.find((x) => sameAddress(x.address, a.address));
      if (m) hits.push(m);
      else unresolved = true;
    }
    return { hits, unresolved };
  }
  // The reporter naming their own organization speaks of themselves, whoever else shares the name.
  if (sameOrganization(claim, reporter.organization)) return { hits: [reporter], unresolved: false };
  const hits = members.filter((m) => sameOrganization(m.organization, claim));
  return { hits, unresolved: hits.length === 0 };
}

/**
 * The leaker of a report by `reporter` whose "Leaked by:" lines say `claims`, among the active
 * `members`. No claim: the reporter's own leak. Attributed only when every claim names the same
 * single member; an organization shared by several members, several members, or a name no member
 * has leaves the leak attributed to nobody, for the moderators to settle.
 */
export function attributeLeak(
  reporter: MemberRef,
  claims: readonly string[],
  members: readonly MemberRef[],
): LeakAttribution {
  const said = claims.map((c) => c.replace(UNSHOWABLE, ' ').trim()).filter((c) => c !== '');
  if (said.length === 0) return { attribution: 'self', leaker: reporter, claim: null, candidates: [] };
  const joined = said.join('; ');
  const claim = joined.length > CLAIM_MAX ? `${joined.slice(0, CLAIM_MAX - 1)}…` : joined;
  const found = new Map<string, MemberRef>();
  let unresolved = false;
  for (const c of said) {
    const r = resolveClaim(reporter, c, members);
    unresolved ||= r.unresolved;
    for (const m of r.hits) found.set(m.address.toLowerCase(), m);
  }
  const candidates = [...found.keys()].sort();
  if (found.size === 0) return { attribution: 'unknown', leaker: null, claim, candidates: [] };
  if (found.size > 1 || unresolved) return { attribution: 'ambiguous', leaker: null, claim, candidates };
  const only = [...found.values()][0]!;
  return {
    attribution: sameAddress(only.address, reporter.address) ? 'self' : 'named',
    leaker: only,
    claim,
    candidates: [],
  };
}

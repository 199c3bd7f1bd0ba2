/**
 * Membership criterion 1: "an actively monitored security email alias ... This cannot be a personal
 * email address, it must be a corporate address owned by the organization."
 *
 * Pure: the domain lists are loaded once when the module is loaded; checkAlias and
 * registrableDomain do no I/O. Registrable domains come from the Public Suffix List (tldts, ICANN
 * and private sections, so two tenants of a shared host such as a.github.io and b.github.io are
 * different owners). Free-mail providers come from `email-providers` (all.json), disposable ones
 * from `disposable-email-domains` (index.json and wildcard.json): no list of our own.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { getDomain, getDomainWithoutSuffix, getPublicSuffix } from 'tldts';
import { domainOf, localPartOf } from '../message/address';

export type AliasFindingCode =
  | 'ALIAS_MISSING'
  | 'ALIAS_INVALID'
  | 'ALIAS_FREEMAIL'
  | 'ALIAS_DISPOSABLE'
  | 'ALIAS_DENIED'
  | 'ALIAS_DOMAIN_MISMATCH'
  | 'ALIAS_IS_SENDER'
  | 'ALIAS_PERSONAL'
  | 'ALIAS_LOOKALIKE_DOMAIN';

/** `message` is one plain sentence a moderator and the applicant can act on. */
export interface AliasFinding {
  code: AliasFindingCode;
  severity: 'block' | 'warn';
  message: string;
}

/** From config. `organizationDomains` maps an organization name (compared case-insensitively) to extra domains it owns. */
export interface AliasPolicy {
  allowDomains: string[];
  denyDomains: string[];
  organizationDomains: Record<string, string[]>;
}

/** `memberDomains`: the domains of the members' aliases, so that an alias posing under one is seen. */
export interface AliasCheckInput {
  alias: string | null;
  fromAddress: string;
  fromName: string;
  organization: string | null;
  memberDomains?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Domain lists, loaded once. A package whose shape changed fails here, loudly, not at call time.

function loadDomainList(moduleId: string): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded: unknown = require(moduleId);
  if (!Array.isArray(loaded) || loaded.length === 0 || !loaded.every((d) => typeof d === 'string')) {
    throw new Error(
      `The domain list ${moduleId} is not a non-empty array of strings; check the installed package version.`,
    );
  }
  const set = new Set<string>();
  for (const entry of loaded as string[]) {
    const d = entry.trim().toLowerCase().replace(/\.$/, '');
    if (!d) continue;
    set.add(d);
    // eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
    if (/^[\x00-\x7f]*$/.test(d) && !d.includes('xn--')) continue;
    // The lists mix Unicode and punycode spellings; keep both so either form of an alias matches.
    const ascii = domainToASCII(d);
    if (ascii) {
      set.add(ascii);
      const unicode = domainToUnicode(ascii);
      if (unicode) set.add(unicode);
    }
  }
  return set;
}

interface DomainLists {
  freemail: Set<string>;
  disposable: Set<string>;
  disposableWildcard: Set<string>;
}

let domainLists: DomainLists | null = null;

/**
 * The lists take a few hundred milliseconds to load, so they are loaded on first use rather than
 * by every command; the daemon calls this at start so that a broken package stops it there.
 */
export function aliasLists(): DomainLists {
  domainLists ??= {
    freemail: loadDomainList('email-providers/all.json'),
    disposable: loadDomainList('disposable-email-domains/index.json'),
    /** Domains any of whose subdomains is disposable. */
    disposableWildcard: loadDomainList('disposable-email-domains/wildcard.json'),
  };
  return domainLists;
}

// ---------------------------------------------------------------------------------------------
// Addresses and domains

const PSL_WITH_PRIVATE = { allowPrivateDomains: true } as const;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// RFC 5321 dot-atom characters, plus any letter or digit (SMTPUTF8 local parts).
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;

interface ParsedAddress {
  local: string;
  domain: string;
  address: string;
}

/** A hostname as lower-case ASCII (punycode), without a trailing dot; null when it is not a public hostname. */
function normalizeDomain(raw: string): string | null {
  let d = raw.trim();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (!d || d.startsWith('[')) return null; // address literals are nobody's corporate alias
  const ascii = domainToASCII(d.normalize('NFC'));
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (labels.every((l) => /^[0-9]+$/.test(l))) return null;
  return getDomain(ascii, PSL_WITH_PRIVATE) === null ? null : ascii;
}

/** One mailbox from "a@b", "<a@b>", "Name <a@b>" or "mailto:a@b"; null unless it is a plain addr-spec. */
function parseAddress(raw: string): ParsedAddress | null {
  let s = raw.trim();
  const bracketed = /<([^<>]*)>$/.exec(s);
  if (bracketed) s = (bracketed[1] ?? '').trim();
  s = s.replace(/^mailto:/i, '');
  // eslint-disable-next-line no-control-regex
  if (!s || /[\s\u0000-\u001f\u007f<>()[\]\\",;:]/.test(s)) return null; // no quoted local parts, no address literals
  const local = localPartOf(s);
  if (local === '' || local === s || local.includes('@')) return null;
  if (local.length > 64 || !LOCAL_PART.test(local)) return null;
  const domain = normalizeDomain(domainOf(s));
  if (!domain) return null;
  return { local, domain, address: `${local.toLowerCase()}@${domain}` };
}

/**
 * The registrable domain (eTLD+1) of an address or domain, lower-case ASCII (punycode), using the
 * ICANN and private sections of the Public Suffix List: a@sec.corp.co.uk -> corp.co.uk,
 * a@team.github.io -> team.github.io. Null when there is none (a public suffix, an IP, garbage).
 */
export function registrableDomain(addressOrDomain: string): string | null {
  const s = addressOrDomain.trim();
  if (s.includes('@')) {
    const parsed = parseAddress(s);
    return parsed ? getDomain(parsed.domain, PSL_WITH_PRIVATE) : null;
  }
  const domain = normalizeDomain(s.replace(/^@/, ''));
  return domain ? getDomain(domain, PSL_WITH_PRIVATE) : null;
}

/**
 * The domain and each parent down to its ICANN registrable domain, in ASCII and Unicode spellings:
 * x@mail.gmail.com is looked up as mail.gmail.com and gmail.com; x@a.github.io as a.github.io and
 * github.io. Never a bare public suffix.
 */
function domainAndParents(domain: string): string[] {
  const floor = getDomain(domain) ?? getDomain(domain, PSL_WITH_PRIVATE) ?? domain;
  const out: string[] = [];
  let d = domain;
  for (;;) {
    out.push(d);
    const unicode = domainToUnicode(d);
    if (unicode && unicode !== d) out.push(unicode);
    if (d === floor || !d.endsWith(`.${floor}`)) break;
    d = d.slice(d.indexOf('.') + 1);
  }
  return out;
}

function domainSet(domains: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const raw of domains) {
    const d = normalizeDomain(raw.replace(/^@/, '')) ?? raw.trim().toLowerCase();
    if (d) set.add(d);
  }
  return set;
}

function firstIn(candidates: readonly string[], ...sets: Set<string>[]): string | undefined {
  return candidates.find((c) => sets.some((s) => s.has(c)));
}

function organizationDomainList(policy: AliasPolicy, organization: string | null): string[] {
  const key = normalizeName(organization ?? '');
  if (!key) return [];
  const out: string[] = [];
  for (const [name, domains] of Object.entries(policy.organizationDomains)) {
    if (normalizeName(name) === key) out.push(...domains);
  }
  return out;
}

function normalizeName(s: string): string {
  return s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Local part without a "+tag" sub-address, lower-case. */
function mailbox(local: string): string {
  const plus = local.indexOf('+');
  return (plus > 0 ? local.slice(0, plus) : local).toLowerCase();
}

/** Text from a mail, safe and short enough to quote in one sentence. */
function quote(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

// ---------------------------------------------------------------------------------------------
// Does the local part look like the sender's own name?

/**
 * Words that make a piece of a display name a team or a role, not a person: a sender named
 * "Istio Security Team" or "Red Hat Product Security" says nothing about personal addresses, and
 * in "Alice Example, Product Security" only "Alice Example" is a person.
 */
const ROLE_WORDS = new Set([
  'security',
  'sec',
  'team',
  'psirt',
  'csirt',
  'cert',
  'product',
  'products',
  'incident',
  'response',
  'vulnerability',
  'vulnerabilities',
  'vuln',
  'disclosure',
  'alert',
  'alerts',
  'advisory',
  'advisories',
  'admin',
  'support',
  'info',
  'contact',
  'office',
  'group',
  'list',
  'inbox',
  'notifications',
  'ops',
  'engineering',
  'lead',
  'manager',
  'engineer',
]);
const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof']);

function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

function letterWords(s: string): string[] {
  return fold(s)
    .split(/[^\p{L}]+/u)
    .filter(Boolean);
}

/** The person-name words of a display name, in order. */
function personNameWords(fromName: string, excluded: ReadonlySet<string>, excludedText: string): string[] {
  const name = fromName
    .replace(/<[^>]*>/g, ' ') // an address written into the name
    .replace(/\([^)]*\)|\[[^\]]*\]/g, ' ') // "(Red Hat)", "[EXTERNAL]"
    .replace(/\s+via\s+.*$/i, ' ') // "Alice Example via istio-early-disclosure-requests" (Google Groups)
    .replace(/\S+@\S+/g, ' ');
  return name
    .split(/\s*[,;|/]\s*|\s+[-\u2013\u2014]\s+/)
    .map(letterWords)
    .filter((part) => !part.some((w) => ROLE_WORDS.has(w)))
    .flat()
    .filter((w) => !HONORIFICS.has(w) && !excluded.has(w) && !(w.length >= 3 && excludedText.includes(w)));
}

/** The piece of the local part that matches the sender's name, or null. Heuristic, for moderators to judge. */
function personalMatch(
  local: string,
  fromName: string,
  alias: ParsedAddress,
  organization: string | null,
): string | null {
  // Words of the organization and of the alias's domain name the organization, not a person.
  const orgWords = new Set(letterWords(organization ?? ''));
  const ownerLabel = getDomainWithoutSuffix(alias.domain, PSL_WITH_PRIVATE) ?? '';
  const domainText = fold(domainToUnicode(ownerLabel) || ownerLabel).replace(/[^\p{L}]+/gu, '');
  const words = personNameWords(fromName, orgWords, domainText);
  if (words.length === 0) return null;

  const box = fold(mailbox(local));
  const tokens = box.split(/[^\p{L}]+/u).filter(Boolean);
  const letters = tokens.join('');

  // "first.last", "first_last", "firstlast", "last.first": every name word, joined.
  if (words.length >= 2 && (letters === words.join('') || letters === [...words].reverse().join(''))) return box;

  const first = words[0] ?? '';
  const last = words[words.length - 1] ?? '';
  for (const name of new Set([first, last])) {
    if (name.length >= 4 && letters.includes(name)) return name;
    // A three-letter name must start or end a word of the local part ("tim.ops", "jlee"), not sit inside one ("psirtimx").
    if (name.length === 3 && tokens.some((t) => t.startsWith(name) || t.endsWith(name))) return name;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Does the alias's domain pose as another one ("google.com.attacker.example")?

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
function lookalikeFindings(
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

// ---------------------------------------------------------------------------------------------

const block = (code: AliasFindingCode, message: string): AliasFinding => ({ code, severity: 'block', message });

/**
 * Every finding about an applicant's proposed security alias; an empty array means none.
 * A missing or invalid alias is the only finding. Otherwise the findings come in this order:
 * DENIED, then DISPOSABLE or FREEMAIL (disposable wins when a domain is on both lists; neither is
 * looked for on an allowed domain), DOMAIN_MISMATCH (not reported when the domain was already
 * refused), IS_SENDER, LOOKALIKE_DOMAIN (a warning for a member's domain, blocking for others),
 * and last PERSONAL, a warning.
 */
export function checkAlias(input: AliasCheckInput, policy: AliasPolicy): AliasFinding[] {
  const raw = (input.alias ?? '').trim();
  if (!raw) {
    return [
      block(
        'ALIAS_MISSING',
        'The request names no security alias, so reply with the team address (such as security@your-company.example) that should receive early disclosures.',
      ),
    ];
  }
  const alias = parseAddress(raw);
  if (!alias) {
    return [
      block(
        'ALIAS_INVALID',
        `"${quote(raw)}" is not a single email address, so give the security alias as one address such as security@your-company.example.`,
      ),
    ];
  }

  const findings: AliasFinding[] = [];
  const address = alias.address;
  const aliasReg = getDomain(alias.domain, PSL_WITH_PRIVATE) ?? alias.domain;
  const candidates = domainAndParents(alias.domain);

  const denied = firstIn(candidates, domainSet(policy.denyDomains));
  if (denied) {
    findings.push(
      block(
        'ALIAS_DENIED',
        `The alias ${address} is at ${denied}, a domain this list does not accept, so use a security alias at a domain your organization owns.`,
      ),
    );
  }

  const allowed = !denied && firstIn(candidates, domainSet(policy.allowDomains)) !== undefined;
  if (!allowed) {
    const lists = aliasLists();
    const disposable = firstIn(candidates, lists.disposable, lists.disposableWildcard);
    const freemail = disposable ? undefined : firstIn(candidates, lists.freemail);
    if (disposable) {
      findings.push(
        block(
          'ALIAS_DISPOSABLE',
          `The alias ${address} is at ${disposable}, a disposable-mail service, so give a monitored security alias at your organization's own domain.`,
        ),
      );
    } else if (freemail) {
      findings.push(
        block(
          'ALIAS_FREEMAIL',
          `The alias ${address} is at ${freemail}, a free-mail provider anyone can sign up with, so give a security alias at a domain your organization owns.`,
        ),
      );
    }
  }

  // A domain already refused above cannot be fixed by recording it for the organization: say it once.
  const domainRefused = findings.length > 0;
  const sender = parseAddress(input.fromAddress);
  const senderReg = sender ? getDomain(sender.domain, PSL_WITH_PRIVATE) : null;
  const orgDomains = domainSet(organizationDomainList(policy, input.organization));
  if (!domainRefused && aliasReg !== senderReg && firstIn(candidates, orgDomains) === undefined) {
    const org = input.organization?.trim() ? quote(input.organization) : 'the organization';
    findings.push(
      block(
        'ALIAS_DOMAIN_MISMATCH',
        sender && senderReg
          ? `The alias ${address} is at ${aliasReg} but the request came from ${sender.address} at ${senderReg}, so send the request from ${aliasReg} or ask the moderators to record ${aliasReg} as a domain of ${org}.`
          : `The alias ${address} cannot be matched to the sender because "${quote(input.fromAddress)}" is not a usable address, so send the request from an address at ${aliasReg}.`,
      ),
    );
  }

  if (sender && sender.domain === alias.domain && mailbox(sender.local) === mailbox(alias.local)) {
    findings.push(
      block(
        'ALIAS_IS_SENDER',
        `The alias ${address} is the applicant's own address, and a personal mailbox is not a team alias, so give a shared address such as security@${aliasReg}.`,
      ),
    );
  }

  findings.push(...lookalikeFindings(alias, aliasReg, input, policy));

  const match = personalMatch(alias.local, input.fromName, alias, input.organization);
  if (match) {
    findings.push({
      code: 'ALIAS_PERSONAL',
      severity: 'warn',
      message: `The alias ${address} looks like the personal address of ${quote(input.fromName)} (it contains "${match}"), so a moderator should confirm it is a monitored team alias and not one person's mailbox.`,
    });
  }
  return findings;
}

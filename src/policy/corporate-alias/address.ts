/**
 * Addresses and domains: one plain addr-spec out of what an applicant wrote, hostnames as
 * lower-case ASCII, and registrable domains from the Public Suffix List (tldts, ICANN and private
 * sections, so two tenants of a shared host such as a.github.io and b.github.io are different owners).
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { getDomain } from 'tldts';
import { domainOf, localPartOf } from '../../message/address';

export const PSL_WITH_PRIVATE = { allowPrivateDomains: true } as const;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// RFC 5321 dot-atom characters, plus any letter or digit (SMTPUTF8 local parts).
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;

export interface ParsedAddress {
  local: string;
  domain: string;
  address: string;
}

/** A hostname as lower-case ASCII (punycode), without a trailing dot; null when it is not a public hostname. */
export function normalizeDomain(raw: string): string | null {
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
export function parseAddress(raw: string): ParsedAddress | null {
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
export function domainAndParents(domain: string): string[] {
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

export function domainSet(domains: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const raw of domains) {
    const d = normalizeDomain(raw.replace(/^@/, '')) ?? raw.trim().toLowerCase();
    if (d) set.add(d);
  }
  return set;
}

export function firstIn(candidates: readonly string[], ...sets: { has(d: string): boolean }[]): string | undefined {
  return candidates.find((c) => sets.some((s) => s.has(c)));
}
/** Local part without a "+tag" sub-address, lower-case. */
export function mailbox(local: string): string {
  const plus = local.indexOf('+');
  return (plus > 0 ? local.slice(0, plus) : local).toLowerCase();
}

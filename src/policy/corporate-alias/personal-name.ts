/**
 * Does the local part look like the sender's own name? A heuristic whose finding is a warning for
 * the moderators to judge, never a refusal.
 */
import { domainToUnicode } from 'node:url';
import { getDomainWithoutSuffix } from 'tldts';
import { mailbox, PSL_WITH_PRIVATE, type ParsedAddress } from './address';

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
export function personalMatch(
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

/** The organization: from the subject, else the body, else the alias's or the sender's domain. Pure. */

/** Words that say a subject asks to join. */
const REQUEST_KEYWORDS = new Set([
  'membership',
  'member',
  'join',
  'joining',
  'request',
  'requesting',
  'application',
  'apply',
  'applying',
  'early',
  'disclosure',
  'mailing',
  'list',
  'subscription',
  'subscribe',
]);
/** Words that make up "request to join the early disclosure list" and say nothing of who asks. */
const REQUEST_WORDS = new Set([
  ...REQUEST_KEYWORDS,
  ...['istio', 'security', 'the', 'to', 'for', 'of', 'a', 'an', 'our', 're', 'fwd', 'fw', 'new', 'access'],
  ...['from', 'by', 'on', 'behalf', 'and'],
]);

const bare = (w: string): string => w.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

function cleanOrganization(s: string): string | null {
  const out = s
    .trim()
    .replace(/^[*_"'“‘]+|[*_"'”’]+$/g, '')
    .replace(/['’]s$/, '')
    .replace(/[\s.,;:!?]+$/, '')
    .trim();
  if (out === '' || out.length > 80) return null;
  const words = out
    .split(/\s+/)
    .map(bare)
    .filter((w) => w !== '');
  if (words.length === 0 || words.every((w) => REQUEST_WORDS.has(w))) return null;
  return out;
}

/**
 * One piece of a subject: the words before the first request word ("Seven-Corp Membership to
 * ..."), else the words after "for"/"from"/"by"/"on behalf of" ("Membership for Acme Corp").
 */
function organizationInSegment(segment: string): string | null {
  const words = segment.trim().split(/\s+/);
  const firstKeyword = words.findIndex((w) => REQUEST_KEYWORDS.has(bare(w)));
  if (firstKeyword !== 0) {
    const lead = words.slice(0, firstKeyword < 0 ? words.length : firstKeyword);
    const org = lead.length <= 5 ? cleanOrganization(lead.join(' ')) : null;
    if (org) return org;
  }
  const tail = /\b(?:for|from|by|on behalf of)\s+(.{1,120})$/i.exec(segment);
  if (!tail) return null;
  const tailWords = tail[1]!.trim().split(/\s+/);
  const stop = tailWords.findIndex((w) => REQUEST_KEYWORDS.has(bare(w)) || bare(w) === 'to');
  return cleanOrganization(tailWords.slice(0, stop < 0 ? tailWords.length : stop).join(' '));
}

/** "Seven-Corp Membership to Early Disclosure Mailing List", "Membership request: Acme Inc", "Request to join - Acme". */
function organizationFromSubject(subject: string): string | null {
  if (!subject.split(/\s+/).some((w) => REQUEST_KEYWORDS.has(bare(w)))) return null;
  const s = subject
    .slice(0, 300)
    .replace(/^(?:\s*(?:(?:re|fwd?|aw|sv|tr)\s*(?:\[\d+\])?\s*:|\[[^\]]{0,60}\]))+/i, '')
    .trim();
  const segments = s.split(/\s+[-–—|]\s+|\s*:\s+|\s*[()[\]]\s*/).filter((x) => x.trim() !== '');
  // The piece that asks ("... membership request for Acme") first, then a piece on its own ("Acme").
  const asks = (seg: string): boolean => seg.split(/\s+/).some((w) => REQUEST_KEYWORDS.has(bare(w)));
  for (const segment of [...segments.filter(asks), ...segments.filter((x) => !asks(x))]) {
    const org = organizationInSegment(segment);
    if (org) return org;
  }
  return null;
}

/** "on behalf of Acme Corp": the capitalised words after it (a leading "the" skipped). */
function capitalisedRun(text: string): string | null {
  const words = text.trim().split(/\s+/).slice(0, 8);
  if (words[0]?.toLowerCase() === 'the') words.shift();
  const taken: string[] = [];
  for (const w of words) {
    if (!/^[\p{Lu}\p{N}&+]/u.test(w)) break;
    taken.push(w);
    if (/[,;:.!?)]$/.test(w)) break;
  }
  return taken.length > 0 ? cleanOrganization(taken.join(' ')) : null;
}

/** "Organization: Acme", "**Company:** Acme", "### Organization" with the name on the next line. */
function organizationLabel(lines: string[]): string | null {
  const LABEL =
    /^(?:#{1,6}\s+)?[*_]*(?:organi[sz]ation|company|org|employer|vendor|corporation)(?:\s+name)?[*_]*\s*(?:[:\-–—][*_]*\s*(.*))?$/i;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length > 200) continue;
    const m = LABEL.exec(line);
    if (!m) continue;
    const inline = m[1]?.trim() ?? '';
    if (inline !== '') return cleanOrganization(inline);
    const next = lines.slice(i + 1, i + 3).find((l) => l.trim() !== '');
    if (next && /^#{1,6}\s|^[*_]{2}/.test(line)) return cleanOrganization(next.slice(0, 80));
  }
  return null;
}

function organizationFromBody(lines: string[]): string | null {
  const labelled = organizationLabel(lines);
  if (labelled) return labelled;
  const text = lines.join('\n');
  const behalf = /\bon behalf of\s+([^\n]{1,120})/i.exec(text);
  const fromBehalf = behalf ? capitalisedRun(behalf[1]!) : null;
  if (fromBehalf) return fromBehalf;
  // "why I think we, Seven-Corp, qualify"
  const we = /\bwe\s*,\s*([^,\n]{1,60}?)\s*,/i.exec(text);
  return we ? cleanOrganization(we[1]!) : null;
}

/** Mail providers and list hosts: their domain says nothing about the applicant's organization. */
const SHARED_DOMAINS = new Set([
  'gmail',
  'googlemail',
  'googlegroups',
  'outlook',
  'hotmail',
  'live',
  'msn',
  'yahoo',
  'icloud',
  'me',
  'aol',
  'proton',
  'protonmail',
  'gmx',
  'mail',
  'yandex',
  'qq',
  '163',
  'fastmail',
  'zoho',
  'web',
]);

/** The second-level label, capitalised: "mail.example.com" -> "Example", "acme.co.uk" -> "Acme". */
function organizationFromDomain(address: string | null): string | null {
  if (!address) return null;
  const labels = address
    .slice(address.lastIndexOf('@') + 1)
    .toLowerCase()
    .split('.')
    .filter((l) => l !== '');
  if (labels.length < 2) return null;
  let k = labels.length - 2;
  const tld = labels[labels.length - 1]!;
  if (k > 0 && tld.length === 2 && /^(?:co|com|net|org|ac|gov|edu|ne|or|gv)$/.test(labels[k]!)) k--;
  const label = labels[k]!;
  if (SHARED_DOMAINS.has(label) || !/^[a-z0-9-]+$/.test(label)) return null;
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** The organization asking, from the subject, the applicant's own lines, the alias's domain, the sender's domain. */
export function findOrganization(
  subject: string,
  ownLines: string[],
  alias: string | null,
  fromAddress: string,
): string | null {
  return (
    organizationFromSubject(subject) ??
    organizationFromBody(ownLines) ??
    organizationFromDomain(alias) ??
    organizationFromDomain(fromAddress)
  );
}

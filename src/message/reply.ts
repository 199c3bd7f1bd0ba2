/**
 * Reading what a person typed in a reply: the first line of their own text, and a keyword command
 * on it. Pure. Input is mailparser's `text` of a reply as Gmail, Outlook (desktop and web), Apple
 * Mail and Thunderbird write them, in English, German or French, top-posted or bottom-posted.
 *
 * Everything here is a heuristic over plain text: quoted lines start with ">", attribution lines
 * have known shapes, Outlook's unquoted original begins at a known separator or header block.
 */

/** Whitespace mailparser leaves in text converted from HTML: "&nbsp;", NBSP, zero-width characters, BOM. */
function clean(line: string): string {
  return line
    .normalize('NFC')
    .replace(/&nbsp;/gi, ' ')
    .replace(/[\u00a0\u2007\u202f]/g, ' ')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '');
}

function isBlank(line: string): boolean {
  return clean(line).trim() === '';
}

function isQuoted(line: string): boolean {
  return /^\s*>/.test(clean(line));
}

/** One line, whitespace collapsed, for matching shapes. */
function flat(line: string): string {
  return clean(line).replace(/\s+/g, ' ').trim();
}

/**
 * "On <date>, <who> wrote:" (Gmail, Apple Mail, Thunderbird), "Am <date> schrieb <who>:",
 * "Le <date>, <who> a écrit :". All carry a date, so they contain a digit; a replier's own
 * "On second thought, ..." does not match.
 */
const DATED_ATTRIBUTION = [
  /^On\s.*\d.*\bwrote\s*:$/i,
  /^Am\s.*\d.*\bschrieb\b.*:$/i,
  /^Le\s.*\d.*\ba\s+écrit\s*:$/i,
];

/** "Alice Example wrote:", "Alice Example <alice@example.org> wrote:", "alice@example.org schrieb:". */
const NAMED_ATTRIBUTION = [
  /^"?[\p{Lu}][\p{L}'.-]*(?:\s+[\p{Lu}][\p{L}'.-]*){0,3}"?(?:\s*<[^<>\s]+@[^<>\s]+>)?\s+(?:wrote|writes|schrieb|a\s+écrit)\s*:$/u,
  /^\S+@\S+\s+(?:wrote|writes|schrieb|a\s+écrit)\s*:$/i,
];

const ATTRIBUTION_START = /^(?:On|Am|Le)\s/i;

function isDatedAttribution(text: string): boolean {
  return DATED_ATTRIBUTION.some((re) => re.test(text));
}

/** The next non-blank line at or after `from` is quoted. */
function quoteFollows(lines: readonly string[], from: number): boolean {
  for (let j = from; j < lines.length; j++) {
    const line = lines[j] ?? '';
    if (!isBlank(line)) return isQuoted(line);
  }
  return false;
}

/**
 * How many lines the attribution starting at `i` spans (Gmail wraps long ones over two or three
 * lines), or 0 when line `i` does not start one.
 */
function attributionLength(lines: readonly string[], i: number): number {
  const first = flat(lines[i] ?? '');
  if (isDatedAttribution(first)) return 1;
  if (NAMED_ATTRIBUTION.some((re) => re.test(first)) && quoteFollows(lines, i + 1)) return 1;
  if (!ATTRIBUTION_START.test(first) || !/\d/.test(first)) return 0;
  let joined = first;
  for (let n = 2; n <= 3; n++) {
    const next = lines[i + n - 1];
    if (next === undefined || isBlank(next) || isQuoted(next) || ATTRIBUTION_START.test(flat(next))) return 0;
    joined = `${joined} ${flat(next)}`;
    if (isDatedAttribution(joined)) return n;
  }
  return 0;
}

/** Where Outlook (and forwarding) put the original below the reply, unquoted: nothing after it is the replier's. */
const ORIGINAL_SEPARATOR = [
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}$/i,
  /^_{10,}$/,
];
const HEADER_FROM = /^\*?(?:From|Von|De)\s*:\*?\s*\S/i;
const HEADER_NEXT = /^\*?(?:Sent|Date|To|Cc|Subject|Gesendet|Datum|An|Betreff|Envoyé|À|A|Objet)\s*:/i;

/** "From: X" followed within a few lines by "Sent:", "To:", "Subject:" (or the German/French names). */
function isHeaderBlock(lines: readonly string[], i: number): boolean {
  if (!HEADER_FROM.test(flat(lines[i] ?? ''))) return false;
  for (let j = i + 1; j < Math.min(lines.length, i + 6); j++) {
    const line = flat(lines[j] ?? '');
    if (line === '') continue;
    if (HEADER_NEXT.test(line)) return true;
  }
  return false;
}

function startsOriginal(lines: readonly string[], i: number): boolean {
  const line = flat(lines[i] ?? '');
  return ORIGINAL_SEPARATOR.some((re) => re.test(line)) || isHeaderBlock(lines, i);
}

/** "-- " (RFC 3676), often sent with the trailing space stripped. */
function isSignatureDelimiter(line: string): boolean {
  return /^--\s*$/.test(clean(line));
}

/** A client's own one-line footer, not the replier's words. */
const CLIENT_FOOTER = /^(?:Sent from my\s|Sent from Mail for Windows|Sent from Outlook|Get Outlook for\s|Von meinem\s.*\sgesendet|Envoyé de mon\s)/i;

/**
 * The replier's own lines, in order, as typed (non-breaking spaces made plain, right-trimmed); blank
 * lines between them come out as ''. Quotes, attributions, signatures, client footers and an
 * unquoted original below an Outlook separator or header block are left out.
 */
const MAX_LINE = 1000;

function* ownLines(text: string): Generator<string> {
  // Lines are cut at 1,000 characters: the attribution patterns are not linear in a line's length,
  // and nobody writes a keyword or an attribution further out than that.
  const lines = text.split(/\r\n|\r|\n/).map((l) => (l.length > MAX_LINE ? l.slice(0, MAX_LINE) : l));
  let inSignature = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (isBlank(line)) { if (!inSignature) yield ''; continue; }
    if (isQuoted(line)) { inSignature = false; continue; }
    const attribution = attributionLength(lines, i);
    if (attribution > 0) { inSignature = false; i += attribution - 1; continue; }
    if (startsOriginal(lines, i)) return;
    if (isSignatureDelimiter(line)) { inSignature = true; continue; }
    if (inSignature) continue; // the signature runs until a quote or an attribution
    if (CLIENT_FOOTER.test(flat(line))) continue;
    yield clean(line).trimEnd();
  }
}

/** The first line of the reply that the replier wrote themselves: not quoted, not an attribution line, not blank, not a signature. Null when there is none. */
export function firstReplyLine(text: string): string | null {
  for (const line of ownLines(text)) {
    if (line !== '') return line.trim();
  }
  return null;
}

/** All the text the replier wrote themselves (see firstReplyLine), paragraphs kept; '' when there is none. */
export function ownReplyText(text: string): string {
  return [...ownLines(text)].join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

export interface KeywordCommand { keyword: string; argument: string | null }

/** Markdown and punctuation that may stand before a keyword: "*APPROVE*", "**APPROVE**", "- APPROVE", "“APPROVE”". */
const LEADING = /^[\s*_~`#\-–—•"'“”‘’«»([{]+/;
/** What may stick to a keyword's end: "APPROVE.", "APPROVE:", "*APPROVE*", "APPROVE!" (never "?"). */
const KEYWORD = /^([A-Z][A-Z0-9_-]*?)([*_~`.,:;!"'“”‘’»)\]}]*)(?:\s+|$)/;

/**
 * Keywords that take an argument; every other keyword must stand alone on its line, so that a
 * sentence such as "Lift this once the release is out" or "Approve? The alias looks personal"
 * is never read as a command.
 */
export const KEYWORDS_WITH_ARGUMENT: ReadonlySet<string> = new Set(['REJECT', 'ASK', 'EMBARGO', 'RETRO', 'REMOVE']);

/**
 * Reads "KEYWORD argument..." from a line. The keyword is written in capitals, as the mails ask
 * ("approve" or "Lift" in a sentence is talk, not a command), and must be one of `known`; leading
 * markdown such as "*APPROVE*" and a trailing "." or ":" are tolerated, a "?" is not. Keywords
 * outside KEYWORDS_WITH_ARGUMENT must be alone on the line. Argument trimmed, null when empty.
 */
export function readKeyword(line: string | null, known: readonly string[]): KeywordCommand | null {
  if (line === null) return null;
  const text = clean(line).trim();
  const lead = LEADING.exec(text)?.[0] ?? '';
  const rest = text.slice(lead.length);
  const m = KEYWORD.exec(rest);
  if (!m) return null;
  const keyword = m[1] ?? '';
  if (!known.includes(keyword)) return null;
  let argument = rest.slice(m[0].length).trim();
  // "*REJECT not a team alias*": the closing markup of the opening one is not part of the argument.
  const markup = lead.replace(/[^*_~`]/g, '');
  if (markup && argument.endsWith(markup)) argument = argument.slice(0, -markup.length).trim();
  if (argument !== '' && !KEYWORDS_WITH_ARGUMENT.has(keyword)) return null;
  return { keyword, argument: argument === '' ? null : argument };
}

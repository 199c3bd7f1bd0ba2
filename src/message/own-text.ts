/**
 * The one reader of what a sender wrote themselves. Pure. Input is mailparser's `text` of a mail
 * as Gmail, Outlook (desktop and web), Apple Mail and Thunderbird write them, in English, German,
 * French, Spanish, Dutch or Italian, top-posted or bottom-posted. Each line gets a kind: the
 * sender's own, a quote, a quote of earlier mail under an attribution line, an attribution, a
 * signature, a client's footer. Reading stops where Outlook (or forwarding) puts the original
 * below, unquoted. Keywords, join requests, leak reports and probe answers all read through here.
 *
 * Everything here is a heuristic over plain text: quoted lines start with ">", attribution lines
 * have known shapes, Outlook's unquoted original begins at a known separator or header block.
 */

export type LineKind = 'own' | 'blank' | 'quote' | 'earlier' | 'attribution' | 'signature' | 'footer';

export interface ReadLine {
  /** The line as written (line end removed, nothing else changed). */
  text: string;
  /**
   * own: the sender's; blank: empty (outside a signature); quote: ">"-quoted with no attribution
   * above it; earlier: ">"-quoted under an attribution (earlier mail); signature: from "-- " or a
   * "-Joe" sign-off to the next quote or attribution; footer: "Sent from my iPhone" and the like.
   */
  kind: LineKind;
}

/** Patterns are matched on the first 1,000 characters of a line: they are not linear in its length. */
const MAX_LINE = 1000;

/** Whitespace mailparser leaves in text converted from HTML: "&nbsp;", NBSP, zero-width characters, BOM. */
export function clean(line: string): string {
  return line
    .normalize('NFC')
    .replace(/&nbsp;/gi, ' ')
    .replace(/[\u00a0\u2007\u202f]/g, ' ')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '');
}

const cap = (line: string): string => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);

export function isBlank(line: string): boolean {
  return clean(cap(line)).trim() === '';
}

export function isQuoted(line: string): boolean {
  return /^\s*>/.test(clean(cap(line)));
}

/** One line, whitespace collapsed, for matching shapes. */
function flat(line: string): string {
  return clean(cap(line)).replace(/\s+/g, ' ').trim();
}

/**
 * "On <date>, <who> wrote:" (Gmail, Apple Mail, Thunderbird), "Am <date> schrieb <who>:",
 * "Le <date>, <who> a écrit :", "El <date>, <who> escribió:", "Op <date> schreef <who>:",
 * "Il <date> <who> ha scritto:". All carry a date, so they contain a digit; a sender's own
 * "On second thought, ..." does not match.
 */
const DATED_ATTRIBUTION = [
  /^On\s.*\d.*\bwrote\s*:$/i,
  /^Am\s.*\d.*\bschrieb\b.*:$/i,
  /^Le\s.*\d.*\ba\s+écrit\s*:$/i,
  /^El\s.*\d.*\sescribió\s*:$/i,
  /^Op\s.*\d.*\bschreef\b.*:$/i,
  /^Il\s.*\d.*\bha\s+scritto\s*:$/i,
];

/** "Alice Example wrote:", "Alice Example <alice@example.org> wrote:", "alice@example.org schrieb:", "On Tuesday Alice wrote:". */
const UNDATED_ATTRIBUTION = [
  /^"?[\p{Lu}][\p{L}'.-]*(?:\s+[\p{Lu}][\p{L}'.-]*){0,3}"?(?:\s*<[^<>\s]+@[^<>\s]+>)?\s+(?:wrote|writes|schrieb|a\s+écrit)\s*:$/u,
  /^\S+@\S+\s+(?:wrote|writes|schrieb|a\s+écrit)\s*:$/i,
  /^(?:On|Am|Le|El|Op|Il)\s.*\s(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto)\s*:?$/i,
];

const ATTRIBUTION_START = /^(?:On|Am|Le|El|Op|Il)\s/i;

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
 * lines), or 0 when line `i` does not start one. An attribution without a date must introduce a quote.
 */
export function attributionLength(lines: readonly string[], i: number): number {
  const first = flat(lines[i] ?? '');
  if (isDatedAttribution(first)) return 1;
  if (UNDATED_ATTRIBUTION.some((re) => re.test(first)) && quoteFollows(lines, i + 1)) return 1;
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

/** Where Outlook (and forwarding) put the original below the reply, unquoted: nothing after it is the sender's. */
const ORIGINAL_SEPARATOR = [
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Urspr[üu]ngliche Nachricht|Message d'origine|Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}$/i,
  /^_{10,}$/,
];
const HEADER_FROM = /^\*?(?:From|Von|De)\*?\s*:\*?\s*\S/i;
const HEADER_NEXT = /^\*?(?:Sent|Date|To|Cc|Subject|Gesendet|Datum|An|Betreff|Envoyé|À|A|Objet)\*?\s*:/i;

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

/** A short line of underscores (Outlook on the web) right above a header block. */
function isShortRuleAboveHeaders(lines: readonly string[], i: number): boolean {
  if (!/^_{8,}$/.test(flat(lines[i] ?? ''))) return false;
  let j = i + 1;
  while (j < lines.length && j < i + 4 && isBlank(lines[j] ?? '')) j++;
  return isHeaderBlock(lines, j);
}

export function startsOriginal(lines: readonly string[], i: number): boolean {
  const line = flat(lines[i] ?? '');
  return ORIGINAL_SEPARATOR.some((re) => re.test(line)) || isHeaderBlock(lines, i) || isShortRuleAboveHeaders(lines, i);
}

/** "-- " (RFC 3676), often sent with the trailing space stripped. */
function isSignatureDelimiter(line: string): boolean {
  return /^--\s*$/.test(clean(cap(line)));
}

/** A client's own one-line footer, not the sender's words. */
const CLIENT_FOOTER =
  /^(?:Sent from my\s|Sent from Mail for Windows|Sent from Outlook|Get Outlook for\s|Von meinem\s.*\sgesendet|Envoyé de mon\s)/i;

/** "-Joe", "- Joe", "--Joe", "— Joe", "~Joe", "-Joe S.": a dash and a name, capitalised. */
const DASH_NAME = /^(?:-{1,2}|[–—~])\s?\p{Lu}[\p{Ll}'’-]+(?:\s\p{Lu}[\p{Ll}'’.-]*)?$/u;
const BULLET_ITEM = /^[-–—*•+~]\s/;
const LIST_ITEM = /^(?:[-–—*•+~]|\d{1,2}[.)])\s/;

/**
 * A dash-and-name sign-off: the line matches DASH_NAME, the sender's line above it is neither a
 * bulleted item nor a line introducing a list (ending in ":"), and at most three short lines follow it
 * (a title, a company) before a quote, an attribution, earlier mail or the end.
 */
function isDashSignOff(lines: readonly string[], i: number, previousOwn: string | null): boolean {
  if (!DASH_NAME.test(flat(lines[i] ?? ''))) return false;
  if (previousOwn !== null && (BULLET_ITEM.test(previousOwn) || /:$/.test(previousOwn))) return false;
  let after = 0;
  for (let j = i + 1; j < lines.length; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line)) continue;
    if (isQuoted(line) || attributionLength(lines, j) > 0 || startsOriginal(lines, j)) break;
    const text = flat(line);
    if (isSignatureDelimiter(line) || CLIENT_FOOTER.test(text)) break;
    if (++after > 3 || text.length > 60 || LIST_ITEM.test(text)) return false;
  }
  return true;
}

/** Every line of `text` up to an unquoted original, each with its kind (see ReadLine). */
export function readLines(text: string): ReadLine[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: ReadLine[] = [];
  let inSignature = false;
  let underAttribution = false;
  let previousOwn: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const push = (kind: LineKind): void => {
      out.push({ text: line, kind });
    };
    if (isBlank(line)) {
      push(inSignature ? 'signature' : 'blank');
      continue;
    }
    if (isQuoted(line)) {
      inSignature = false;
      push(underAttribution ? 'earlier' : 'quote');
      continue;
    }
    const attribution = attributionLength(lines, i);
    if (attribution > 0) {
      inSignature = false;
      underAttribution = true;
      for (let k = 0; k < attribution; k++) out.push({ text: lines[i + k] ?? '', kind: 'attribution' });
      i += attribution - 1;
      continue;
    }
    if (startsOriginal(lines, i)) break;
    underAttribution = false;
    if (isSignatureDelimiter(line) || (!inSignature && isDashSignOff(lines, i, previousOwn))) {
      inSignature = true;
      push('signature');
      continue;
    }
    if (inSignature) {
      push('signature');
      continue;
    } // the signature runs until a quote or an attribution
    if (CLIENT_FOOTER.test(flat(line))) {
      push('footer');
      continue;
    }
    previousOwn = flat(line);
    push('own');
  }
  return out;
}

/**
 * The sender's own lines, in order, as typed (non-breaking spaces made plain, right-trimmed,
 * cut at 1,000 characters); blank lines between them come out as ''.
 */
export function ownLines(text: string): string[] {
  // A mail's text is read more than once (its keywords, its reply text): the last reading is kept.
  if (lastRead?.text !== text) {
    const lines = readLines(text)
      .filter((l) => l.kind === 'own' || l.kind === 'blank')
      .map((l) => (l.kind === 'blank' ? '' : clean(cap(l.text)).trimEnd()));
    lastRead = { text, lines };
  }
  return lastRead.lines.slice();
}

let lastRead: { text: string; lines: string[] } | null = null;

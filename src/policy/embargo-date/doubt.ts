/**
 * What elsewhere in a disclosure casts doubt on an end read from its embargo line: a sentence that
 * moves the embargo ("the embargo has been extended", "the CRD was pushed to ...") or a full date
 * later than the end ("... it moves to 2026-12-10 16:00 UTC"), in a line the reader does not take for
 * an embargo line, or past the end of the value it read. Such an end is proposed, never taken: an
 * embargo lifted early is the worst thing this software can do. Quoted lines (">") and the
 * signature (after a "-- " line) are not read.
 */
/** A sentence that moves or suspends the embargo, in either order of noun and verb. */
const MOVED = new RegExp(
  [
    String.raw`\b(?:embargo|CRD|coordinated\s+release|disclosure|publication|release\s+date)\b[^.\n]{0,60}?\b(?:extend|extension|postpon|delay|slip|resched|revis|push(?:ed)?\s+(?:back|out|to)|mov(?:ed|e|es)\s+(?:to|back|out|forward)|indefinite|suspend|until\s+further)\w*`,
    String.raw`\b(?:extend|extension|postpon|delay|resched|revis|push(?:ed)?\s+back)\w*\b[^.\n]{0,40}?\b(?:embargo|CRD|disclosure|publication|release)\b`,
    // An end that depends on an event: "the embargo lifts upon release of the fix", "... until further notice".
    String.raw`\bembargo\w*\b[^.\n]{0,40}?\b(?:lift|end|expire)\w*\s+(?:upon|when|once|as\s+soon\s+as|with\s+the)\b`,
    String.raw`\bembargo\w*\b[^.\n]{0,40}?\buntil\s+(?:further\s+notice|(?:the|a)\s+(?:fix|patch|release))`,
  ].join('|'),
  'i',
);

/** Words that name when something becomes public. */
const ABOUT_END = /\b(?:embargo\w*|CRD|disclos\w*|release\w*|publica\w*|public)\b/i;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = String.raw`(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`;
/** Full dates with their year: 2026-12-10, 2026/12/10, 10 December 2026, December 10th, 2026. */
const DATES = new RegExp(
  [
    String.raw`(?<![\d/.-])(\d{4})[-/](\d{2})[-/](\d{2})(?![\d])`,
    String.raw`\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?${MONTH},?\s+(\d{4})\b`,
    String.raw`\b${MONTH}\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`,
  ].join('|'),
  'gi',
);

/** The unquoted text before the signature ("-- " line), one string. */
function unquoted(text: string): string {
  const lines = text.split(/\r?\n/);
  const signature = lines.findIndex((l) => /^-- ?$/.test(l));
  return (signature >= 0 ? lines.slice(0, signature) : lines).filter((l) => !/^\s*>/.test(l)).join('\n');
}

/** Midnight UTC of each full date in `text`. */
function datesIn(text: string): { at: number; text: string }[] {
  const out: { at: number; text: string }[] = [];
  for (const m of text.matchAll(DATES)) {
    let y: number, mo: number, d: number;
    if (m[1]) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    else if (m[4]) [y, mo, d] = [Number(m[6]), MONTHS.indexOf(m[5]!.slice(0, 3).toLowerCase()) + 1, Number(m[4])];
    else [y, mo, d] = [Number(m[9]), MONTHS.indexOf(m[7]!.slice(0, 3).toLowerCase()) + 1, Number(m[8])];
    if (mo < 1 || mo > 12 || d < 1 || d > 31) continue;
    out.push({ at: Date.UTC(y, mo - 1, d), text: m[0] });
  }
  return out;
}

/**
 * Why `end` is in doubt, in words, or null. A date counts as later when all of its day, in any
 * zone (UTC+14), is after the end: "2026-12-04 01:00 JST" beside "2026-12-03 16:00 UTC" is the same
 * end written in Tokyo, not a later one.
 */
export function doubtElsewhere(text: string, end: Date): string | null {
  const plain = unquoted(text);
  const moved = MOVED.exec(plain);
  if (moved) return `the message also says "${moved[0].replace(/\s+/g, ' ')}", which may move the embargo`;
  const later = datesIn(plain).find((d) => d.at - 14 * 3_600_000 > end.getTime());
  if (later) return `the message also names a later date ("${later.text}"), which may be the real end`;
  // "planned for early 2027": no day, but a later year beside the words that name an end.
  for (const line of plain.split('\n')) {
    if (!ABOUT_END.test(line)) continue;
    const year = [...line.matchAll(/(?<![\d/.:-])(?:19|20)\d{2}(?![\d/.:-])/g)].find(
      (m) => Number(m[0]) > end.getUTCFullYear(),
    );
    if (year) return `the message also says "${line.trim().slice(0, 120)}", with a later year`;
  }
  return null;
}

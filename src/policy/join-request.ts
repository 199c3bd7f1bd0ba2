/**
 * policy/join-request: reads a membership request written by a person into per-criterion answers.
 *
 * Pure: text in, a typed summary out; no I/O, no clock, no database. Everything here is heuristic.
 * Applicants quote the criteria ("> 1. ..."), number their answers ("1.", "1)", "(1)", "1 -"),
 * turn the criteria into Markdown headings or bold lines, answer on the criterion's own line,
 * reorder or skip criteria, and their mail clients add signatures and earlier mail. Each heuristic
 * is a small named function below with a comment saying what it expects. When unsure, an answer
 * is left out (so it shows in `missing`) and the embargo is not accepted: a moderator looks.
 *
 * Cost stays linear in the body: no regular expression is built from configured text, the
 * patterns used are anchored or bounded, and only the first MAX_MATCH_TOKENS words of a line are
 * compared with the criteria.
 */

export interface JoinRequestInput {
  subject: string;
  text: string;
  fromAddress: string;
  fromName: string;
  criteria: string[];
  aliasCriterion: number;
  embargoCriterion: number;
}

export interface ParsedJoinRequest {
  organization: string | null;
  alias: string | null;
  answers: Record<string, string>;
  missing: number[];
  acceptsEmbargo: boolean;
}

/**
 * The five criteria of the early-disclosure policy ("Membership criteria"), word for word; only
 * the Markdown link markup of criterion 5 is dropped, as these texts go into plain-text mail.
 */
/** The policy's five criteria, the default of policy.criteria (kept in one place). */
export { DEFAULT_CRITERIA } from './criteria';

export function parseJoinRequest(input: JoinRequestInput): ParsedJoinRequest {
  const criteria = input.criteria.map(compileCriterion);
  const lines = cleanBody(input.text, criteria);
  const headings = findHeadings(lines, criteria);
  const answers = collectAnswers(lines, headings, input.fromName);
  const missing = criteria.map((_, i) => i + 1).filter((n) => !Object.hasOwn(answers, String(n)));
  const ownText = lines.filter((l) => l.kind === 'text').map((l) => l.text).join('\n');
  const alias = findAlias(answers[String(input.aliasCriterion)], ownText);
  const embargoAnswer = answers[String(input.embargoCriterion)];
  return {
    organization: findOrganization(input.subject, lines, alias, input.fromAddress),
    alias,
    answers,
    missing,
    acceptsEmbargo: embargoAnswer !== undefined && acceptsClearly(embargoAnswer),
  };
}

// ---------------------------------------------------------------------------------------------
// Words: criteria and lines are compared as sequences of lower-cased, lightly stemmed words.

interface Token { word: string; start: number; end: number }

/** Only this many words of a line are compared with a criterion: headings are short. */
const MAX_MATCH_TOKENS = 80;

const WORD = /[\p{L}\p{N}]+(?:['’]\p{L}+)?/gu;

/** Words that say nothing about which criterion a line is about. */
const STOP_WORDS = new Set([
  'a', 'an', 'the', 'and', 'or', 'of', 'to', 'in', 'on', 'for', 'by', 'with', 'our', 'your', 'we', 'i',
  'be', 'is', 'are', 'am', 'it', 'this', 'that', 'have', 'has', 'not', 'must', 'can', 'cannot', 'yes', 'no',
  'above', 'own', 'us', 'do', 'does', 'as', 'at', 'from', 'any', 'all',
]);

function tokenize(text: string, limit = Number.POSITIVE_INFINITY): Token[] {
  const out: Token[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null && out.length < limit; m = WORD.exec(text)) {
    out.push({ word: stem(m[0]), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Lower-case, drop a possessive, and fold a plural "s" so "contributors" meets "contributor". */
function stem(word: string): string {
  let w = word.toLowerCase().replace(/['’]s$/, '');
  if (w.length > 4 && w.endsWith('s') && !/[suia]s$/.test(w)) w = w.slice(0, -1);
  return w;
}

/** "[Embargo Policy](#embargo-policy)" reads as "Embargo Policy". */
function dropLinkMarkup(text: string): string {
  return text.replace(/\[([^[\]\n]{0,200})\]\([^()\n]{0,500}\)/g, '$1');
}

interface Criterion {
  index: number;
  words: string[];
  wordSet: Set<string>;
  content: Set<string>;
  /** Words in the first sentence: quoting that sentence alone counts as quoting the criterion. */
  coreLength: number;
  /** What the criterion has after its last word ("?", " (required)."), skipped after a full quote. */
  tail: string;
}

function compileCriterion(text: string, index: number): Criterion {
  const plain = dropLinkMarkup(text);
  const words = tokenize(plain).map((t) => t.word);
  const sentenceEnd = /[.?!](?:\s|$)/.exec(plain);
  const core = sentenceEnd ? tokenize(plain.slice(0, sentenceEnd.index)).length : words.length;
  const last = tokenize(plain).pop();
  return {
    tail: last ? plain.slice(last.end).trim() : '',
    index,
    words,
    wordSet: new Set(words),
    content: new Set(words.filter((w) => !STOP_WORDS.has(w))),
    coreLength: Math.max(1, Math.min(core || words.length, words.length)),
  };
}

/** How a line's words line up with a criterion's words (longest common subsequence). */
interface Match {
  criterion: number;
  /** Words of the criterion found, in order. */
  lcs: number;
  /** Index of the first line word that belongs to the criterion at all. */
  first: number;
  /** Index of the line word at which the longest alignment first completes. */
  end: number;
  /** Share of the criterion's first sentence found, in order: a heading quotes the start of a criterion. */
  coverage: number;
  /** lcs over the words spanned from first to end: a compact quote is dense. */
  density: number;
}

const NO_MATCH = (criterion: number): Match => ({ criterion, lcs: 0, first: -1, end: -1, coverage: 0, density: 0 });

/**
 * Longest common subsequence of the line's first words and the criterion, ending as early in
 * the line as possible, so that "Accept the embargo policy: we accept the policy" ends the
 * heading at "policy" and leaves the rest as the answer.
 */
function matchCriterion(tokens: Token[], c: Criterion): Match {
  const line = tokens.length > MAX_MATCH_TOKENS ? tokens.slice(0, MAX_MATCH_TOKENS) : tokens;
  const first = line.findIndex((t) => c.wordSet.has(t.word));
  if (first < 0) return NO_MATCH(c.index);
  const n = c.words.length;
  let prev = new Uint16Array(n + 1);
  let cur = new Uint16Array(n + 1);
  let best = 0;
  let end = -1;
  for (let i = 0; i < line.length; i++) {
    const word = line[i]!.word;
    for (let j = 1; j <= n; j++) {
      cur[j] = c.words[j - 1] === word ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    if (cur[n]! > best) { best = cur[n]!; end = i; }
    [prev, cur] = [cur, prev];
  }
  if (best === 0) return NO_MATCH(c.index);
  // The first sentence is a prefix of the criterion, so its column holds the LCS with it: a line
  // that only goes on with the criterion's later words (a wrapped quote) does not cover it.
  const core = prev[c.coreLength]!;
  return {
    criterion: c.index, lcs: best, first, end,
    coverage: core / c.coreLength,
    density: best / (end - first + 1),
  };
}

/** The criterion a line quotes best; null when none or when two tie (ambiguous). */
function bestMatch(tokens: Token[], criteria: Criterion[]): Match | null {
  let best: Match | null = null;
  let tie = false;
  for (const c of criteria) {
    const m = matchCriterion(tokens, c);
    if (m.lcs === 0) continue;
    if (best === null || m.lcs > best.lcs || (m.lcs === best.lcs && m.coverage > best.coverage)) { best = m; tie = false; }
    else if (m.lcs === best.lcs && m.coverage === best.coverage) tie = true;
  }
  return tie ? null : best;
}

type HeadingForm = 'numbered' | 'formatted' | 'plain';

/**
 * Does the line start with (most of) the criterion's text? A numbered line needs less evidence
 * than a bare one; a bare line must be nearly the whole first sentence, from its first word, so
 * that an answer paraphrasing the criterion ("We have a user base not limited to ...") is not
 * mistaken for a heading.
 */
function quotesCriterion(m: Match, form: HeadingForm, c: Criterion): boolean {
  const minWords = Math.min(3, c.coreLength);
  if (m.lcs < minWords) return false;
  if (form === 'plain') return m.first === 0 && m.lcs >= Math.min(4, c.coreLength) && m.coverage >= 0.7 && m.density >= 0.8;
  const minCoverage = form === 'numbered' ? 0.4 : 0.3;
  return m.first <= 1 && m.coverage >= minCoverage && m.density >= 0.6;
}

/**
 * A short heading or label made of the criterion's own key words ("**Security alias:**",
 * "### User base"): at most five words, most of them key words of one criterion, more than of
 * any other. Longer bold sentences ("**We are active contributors in the Istio community**") are
 * emphasis inside an answer, not headings.
 */
function labelCriterion(text: string, criteria: Criterion[], minHits: number): number | null {
  const all = tokenize(text, 6);
  if (all.length > 5) return null;
  const words = new Set(all.map((t) => t.word).filter((w) => !STOP_WORDS.has(w)));
  if (words.size === 0) return null;
  let best: number | null = null;
  let bestHits = 0;
  let tie = false;
  for (const c of criteria) {
    let hits = 0;
    for (const w of words) if (c.content.has(w)) hits++;
    if (hits > bestHits) { best = c.index; bestHits = hits; tie = false; }
    else if (hits === bestHits && hits > 0) tie = true;
  }
  if (tie || best === null || bestHits < minHits || bestHits / words.size < 0.6) return null;
  return best;
}

// ---------------------------------------------------------------------------------------------
// The body: signatures and earlier mail cut away, quoted criteria kept as headings.

interface BodyLine {
  text: string;
  /** Leading blanks: an indented "1." is a list inside an answer (html-to-text indents <ol>). */
  indent: number;
  /** 'criterion-quote' lines are a ">"-quoted criterion: a heading, never part of an answer. */
  kind: 'text' | 'criterion-quote';
  /** First line of a quoted criterion paragraph. */
  quoteStart: boolean;
}

function cleanBody(text: string, criteria: Criterion[]): BodyLine[] {
  const raw = text.replace(/\r\n?/g, '\n').replace(/[\u00a0\t]/g, ' ').replace(/[\u200b\ufeff]/g, '').split('\n');
  const out: BodyLine[] = [];
  let i = 0;
  while (i < raw.length) {
    if (endsOwnText(raw, i)) break;
    const attribution = attributionLines(raw, i);
    if (attribution > 0) {
      i = skipQuotedMail(raw, i + attribution);
      continue;
    }
    if (isQuoted(raw[i]!)) {
      let end = i;
      while (end < raw.length && isQuoted(raw[end]!)) end++;
      const block = raw.slice(i, end).map((l) => l.replace(/^\s*>[ ]?/, ''));
      for (const kept of criterionQuote(block, raw, end, criteria) ?? []) out.push(kept);
      i = end;
      continue;
    }
    const line = raw[i]!;
    out.push({ text: line.trimEnd(), indent: line.length - line.trimStart().length, kind: 'text', quoteStart: false });
    i++;
  }
  return out;
}

function isQuoted(line: string): boolean {
  return /^\s{0,3}>/.test(line);
}

/** Below these lines nothing is the applicant's answer: a signature, a client's footer, earlier mail. */
function endsOwnText(raw: string[], i: number): boolean {
  const line = raw[i]!.trim();
  return line === '--' // "-- " signature delimiter (trailing blank already trimmed)
    || /^-{2,}\s*(?:original message|forwarded message|urspr[üu]ngliche nachricht|message d'origine)\s*-{2,}$/i.test(line)
    || /^sent from my \w+/i.test(line)
    || isOutlookHeader(raw, i);
}

/**
 * Outlook quotes earlier mail unmarked below "From: ...", then "Sent:" or "Date:" within a few
 * lines, sometimes after a line of underscores.
 */
function isOutlookHeader(raw: string[], i: number): boolean {
  let j = i;
  if (/^_{8,}$/.test(raw[j]!.trim())) {
    j++;
    while (j < raw.length && j < i + 4 && raw[j]!.trim() === '') j++;
  }
  if (j >= raw.length || !/^\*?(?:from|von|de)\*?\s*:\s*\S/i.test(raw[j]!.trim())) return false;
  for (let k = j + 1; k < Math.min(raw.length, j + 5); k++) {
    if (/^\*?(?:sent|date|gesendet|datum|envoy[ée])\*?\s*:/i.test(raw[k]!.trim())) return true;
  }
  return false;
}

/**
 * "On Tue, 3 Mar 2026 at 10:00, X <x@y> wrote:" (or its French, German, Spanish, Dutch, Italian
 * forms), on one line or wrapped over two: the number of lines it takes, or 0.
 */
function attributionLines(raw: string[], i: number): number {
  const ATTRIBUTION = /^(?:on|le|am|el|op|il)\s.*(?:wrote|a écrit|schrieb|escribió|schreef|scritto)\s*:?$/i;
  const line = raw[i]!.trim();
  if (line.length > 400 || !/^(?:on|le|am|el|op|il)\s/i.test(line)) return 0;
  if (ATTRIBUTION.test(line)) return 1;
  const next = raw[i + 1]?.trim() ?? '';
  if (next.length < 200 && ATTRIBUTION.test(`${line} ${next}`)) return 2;
  return 0;
}

/** After an attribution line: skip the blank and ">"-quoted lines of the earlier mail. */
function skipQuotedMail(raw: string[], i: number): number {
  let j = i;
  while (j < raw.length && (raw[j]!.trim() === '' || isQuoted(raw[j]!))) j++;
  return j;
}

/**
 * A ">"-quoted block is the applicant quoting criteria (style of the policy's example) when its
 * last paragraphs each start with a criterion, nothing in it is quoted twice, and the applicant's
 * own text follows it (a heading has its answer beneath). Earlier paragraphs of the block (the
 * question an applicant replies to inline) are context and dropped. Anything else quoted (an
 * earlier mail, a whole earlier request ending in its answers) is not the applicant's and is dropped.
 * Returns the block's lines that are criterion headings (with their continuation), or null.
 */
function criterionQuote(block: string[], raw: string[], end: number, criteria: Criterion[]): BodyLine[] | null {
  if (block.some((l) => isQuoted(l)) || !ownTextFollows(raw, end)) return null;
  const paragraphs: number[] = [];
  block.forEach((line, k) => { if (line.trim() !== '' && (k === 0 || block[k - 1]!.trim() === '')) paragraphs.push(k); });
  let first = paragraphs.length;
  while (first > 0 && classifyLine(block[paragraphs[first - 1]!]!, criteria, true).heading?.strong) first--;
  if (first === paragraphs.length) return null;
  const from = paragraphs[first]!;
  const starts = new Set(paragraphs.slice(first));
  return block.slice(from).map((text, k) => ({ text, indent: 0, kind: 'criterion-quote', quoteStart: starts.has(from + k) }));
}

/** The next non-blank line is the applicant's own: not quoted, not a signature or earlier mail. */
function ownTextFollows(raw: string[], i: number): boolean {
  let j = i;
  while (j < raw.length && j < i + 50 && raw[j]!.trim() === '') j++;
  return j < raw.length && raw[j]!.trim() !== '' && !isQuoted(raw[j]!) && !endsOwnText(raw, j) && attributionLines(raw, j) === 0;
}

// ---------------------------------------------------------------------------------------------
// Headings: the lines that introduce a criterion.

interface Heading {
  criterion: number;
  /** The line quotes the criterion (text, label or heading); otherwise only its number says which. */
  strong: boolean;
  /** The answer written on the heading's own line, after the criterion. */
  inline: string;
  /** The criterion text as written on the line, and how it matched; for wrapped quotes. */
  headingText: string;
  match: Match | null;
  /** Following lines that continue the quoted criterion text (set once accepted). */
  consumed: number;
}

interface ListMark { number: number; style: string }

interface LineInfo { heading: Heading | null; list: ListMark | null }

const NOTHING: LineInfo = { heading: null, list: null };

/** "1." "1)" "(1)" "1 -" "1:" "#1" "Q1" "Criterion 2 -" at the start of a line. */
function parseMarker(s: string): { number: number; rest: string; style: string } | null {
  const m = /^((?:criterion|criteria|question|requirement|item|point|q)\s*(?:#|no\.?)?\s*|#\s*)?(?:\((\d{1,2})\)|(\d{1,2}))(?!\d)/i.exec(s);
  if (!m) return null;
  const after = s.slice(m[0].length);
  const word = m[1] !== undefined;
  const paren = m[2] !== undefined;
  const term = /^(?:[.):](?!\d)|\s*[-–—](?=\s|$))/.exec(after);
  if (!paren && !word && !term && after.trim() !== '') return null;
  const style = word ? 'word' : paren ? '()' : (term?.[0].trim() ?? 'bare');
  return { number: Number(m[2] ?? m[3]), rest: after.replace(/^\s*(?:[.):]|[-–—])?\s*/, ''), style };
}

/** "## Title ##" closes with hashes; removed without a regular expression (no backtracking). */
function dropClosingHashes(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '#') end--;
  return end < s.length && end > 0 && /\s/.test(s[end - 1]!) ? s.slice(0, end).trimEnd() : s;
}

/** "**text** more" -> text "text", after "more"; lines not starting with ** or __ are left alone. */
function unwrapEmphasis(s: string): { text: string; after: string; emphasized: boolean } {
  const open = /^(\*\*|__)/.exec(s);
  if (!open) return { text: s, after: '', emphasized: false };
  const close = s.indexOf(open[1]!, 2);
  if (close < 0) return { text: s.slice(2).trim(), after: '', emphasized: true };
  return { text: s.slice(2, close).trim(), after: s.slice(close + 2).trim(), emphasized: true };
}

/** What separates a heading from an answer on the same line. */
function stripLeadingSeparators(s: string): string {
  return s.replace(/^[\s.:;,?!)\]*_…\-–—]+/, '').trim();
}

/** The answer after a criterion quoted on the line: what follows its last matched word. */
function answerAfter(text: string, cut: number, m: Match, c: Criterion): string {
  let rest = text.slice(cut).trimStart();
  if (m.lcs === c.words.length && c.tail !== '' && rest.startsWith(c.tail)) rest = rest.slice(c.tail.length);
  return stripLeadingSeparators(rest);
}

function joinText(a: string, b: string): string {
  if (b === '') return a;
  return /^[,.;:!?]/.test(b) ? `${a}${b}` : `${a} ${b}`;
}

function stripEmphasisMarkers(s: string): string {
  return s.replace(/\*\*|__/g, '').trim();
}

/**
 * "Security alias: x@y" after a number: a short label (a few words sharing a key word with the
 * criterion, no address) before ":" or " - " is not part of the answer.
 */
function splitLabel(rest: string, c: Criterion): string | null {
  const sep = /:\s|:$|\s[-–—]\s/.exec(rest.slice(0, 80));
  if (!sep) return null;
  const label = rest.slice(0, sep.index);
  if (label.includes('@') || label.trim().split(/\s+/).length > 6) return null;
  const words = tokenize(label).map((t) => t.word);
  const answer = rest.slice(sep.index + sep[0].length).trim();
  if (answer === '' || !words.some((w) => c.content.has(w))) return null;
  return answer;
}

function classifyLine(line: string, criteria: Criterion[], quoted: boolean): LineInfo {
  // Links are left in: an answer keeps its URLs, and a pasted "[Embargo Policy](#embargo-policy)"
  // only adds words that the in-order match skips.
  let s = line.trim();
  if (s === '') return NOTHING;
  let formatted = quoted;
  // Markdown heading, as GitHub issue templates write them: "### 1. Have an actively ..."
  const md = /^#{1,6}\s+/.exec(s);
  if (md) { s = dropClosingHashes(s.slice(md[0].length)); formatted = true; }
  let em = unwrapEmphasis(s);
  // "**1.** Have ..." : only the number is bold.
  const boldNumber = em.emphasized ? parseMarker(em.text) : null;
  if (boldNumber && boldNumber.rest === '') em = { text: `${em.text} ${em.after}`, after: '', emphasized: false };
  s = em.text;

  const marker = parseMarker(s);
  if (marker) {
    if (marker.number < 1 || marker.number > criteria.length) return { heading: null, list: marker };
    // Bold around the whole line ("**1. Have ...**") or around the text after the number.
    const inner = em.emphasized ? { text: marker.rest, after: em.after, emphasized: true } : unwrapEmphasis(marker.rest);
    const whole = em.emphasized ? joinText(marker.rest, em.after) : marker.rest;
    return { heading: numberedHeading(marker.number - 1, inner, whole, criteria), list: marker };
  }

  const body = em.text;
  if (body.length > 400) return NOTHING;
  const tokens = tokenize(body, MAX_MATCH_TOKENS);
  const best = bestMatch(tokens, criteria);
  const c = best ? criteria[best.criterion]! : null;
  const form: HeadingForm = formatted || em.emphasized ? 'formatted' : 'plain';
  if (best && c && quotesCriterion(best, form, c)) {
    // A bold or quoted heading is whole; a bare or Markdown one may carry the answer after it.
    if (em.emphasized || quoted) return { heading: makeHeading(best.criterion, body, em.after, best), list: null };
    const cut = tokens[best.end]!.end;
    return { heading: makeHeading(best.criterion, body.slice(0, cut), answerAfter(body, cut, best, c), best), list: null };
  }
  if (form === 'formatted') {
    const label = labelCriterion(body, criteria, 2);
    if (label !== null) return { heading: makeHeading(label, body, em.after, null), list: null };
  }
  return NOTHING;
}

/**
 * A line that starts with a criterion's number. Its criterion is the number's, unless the text
 * plainly quotes another criterion (criteria renumbered in another order). The criterion text,
 * a short label, or nothing may come before the answer.
 */
function numberedHeading(index: number, em: { text: string; after: string; emphasized: boolean }, whole: string, criteria: Criterion[]): Heading {
  const rest = em.text;
  const tokens = tokenize(rest, MAX_MATCH_TOKENS);
  let c = criteria[index]!;
  let m = matchCriterion(tokens, c);
  if (!quotesCriterion(m, 'numbered', c)) {
    const other = bestMatch(tokens, criteria);
    const oc = other ? criteria[other.criterion]! : null;
    if (other && oc && other.first === 0 && other.coverage >= 0.6 && quotesCriterion(other, 'numbered', oc)) { c = oc; m = other; }
  }
  if (quotesCriterion(m, 'numbered', c)) {
    if (em.emphasized) return makeHeading(c.index, rest, em.after, m);
    const cut = tokens[m.end]!.end;
    return makeHeading(c.index, rest.slice(0, cut), answerAfter(rest, cut, m, c), m);
  }
  const flat = stripEmphasisMarkers(whole);
  const labelled = splitLabel(flat, c);
  if (labelled !== null) return { ...makeHeading(c.index, flat, labelled, null), strong: false };
  return { ...makeHeading(c.index, '', flat, null), strong: false };
}

function makeHeading(criterion: number, headingText: string, inline: string, match: Match | null): Heading {
  return { criterion, strong: true, inline: inline.trim(), headingText, match, consumed: 0 };
}

/**
 * Which candidate headings count. A line that quotes a criterion always does (the first one per
 * criterion); a line that only carries a number does when no quoted heading claims that
 * criterion and its numbered list looks like the answers, not a list inside an answer: a list
 * that runs past the last criterion ("20 numbered lines"), or restarts at a number already
 * answered above it, is part of an answer.
 */
function findHeadings(lines: BodyLine[], criteria: Criterion[]): Array<Heading & { line: number }> {
  const infos = lines.map((l): LineInfo => {
    if (l.kind === 'criterion-quote') return l.quoteStart ? classifyLine(l.text, criteria, true) : NOTHING;
    return classifyLine(l.text, criteria, false);
  });
  const claimed = new Map<number, number>();
  infos.forEach((info, i) => {
    if (info.heading?.strong && !claimed.has(info.heading.criterion)) claimed.set(info.heading.criterion, i);
  });

  const runs = listRuns(infos, lines);
  const rejected = new Set<ListRun>();
  infos.forEach((info, i) => {
    const run = runs.get(i);
    if (run && run.firstLine === i && !run.hasStrong) {
      const firstClaim = claimed.get(run.firstNumber - 1);
      if (run.maxNumber > criteria.length || run.firstNumber < 1 || (firstClaim !== undefined && firstClaim < i)) rejected.add(run);
    }
    const h = info.heading;
    if (!h || h.strong || claimed.has(h.criterion) || (run && rejected.has(run))) return;
    claimed.set(h.criterion, i);
  });

  const accepted = [...claimed.entries()]
    .map(([, line]) => ({ ...infos[line]!.heading!, line }))
    .sort((a, b) => a.line - b.line);
  for (const h of accepted) absorbWrappedCriterion(h, lines, infos, criteria);
  return accepted;
}

interface ListRun { firstLine: number; firstNumber: number; last: number; maxNumber: number; hasStrong: boolean }

/**
 * Numbered lines grouped into lists: the next number in the same marker style and indentation
 * continues a list, anything else starts one.
 */
function listRuns(infos: LineInfo[], lines: BodyLine[]): Map<number, ListRun> {
  const byLine = new Map<number, ListRun>();
  const current = new Map<string, ListRun>();
  infos.forEach((info, i) => {
    if (!info.list) return;
    const key = `${info.list.style}|${lines[i]!.indent > 0 ? 'indented' : 'flush'}`;
    let run = current.get(key);
    if (!run || run.last + 1 !== info.list.number) {
      run = { firstLine: i, firstNumber: info.list.number, last: info.list.number, maxNumber: info.list.number, hasStrong: false };
      current.set(key, run);
    }
    run.last = info.list.number;
    run.maxNumber = Math.max(run.maxNumber, info.list.number);
    if (info.heading?.strong) run.hasStrong = true;
    byLine.set(i, run);
  });
  return byLine;
}

/**
 * A criterion quoted in full is often wrapped: "... This cannot be a personal" / "email address,
 * it must be ...". Following lines that go on with the criterion's words belong to the heading.
 */
function absorbWrappedCriterion(h: Heading & { line: number }, lines: BodyLine[], infos: LineInfo[], criteria: Criterion[]): void {
  const c = criteria[h.criterion]!;
  let m = h.match;
  if (!m || h.inline !== '' || lines[h.line]!.kind !== 'text') return;
  let text = h.headingText;
  while (h.consumed < 3 && m.lcs < c.words.length) {
    const idx = h.line + 1 + h.consumed;
    const next = lines[idx];
    if (!next || next.kind !== 'text' || next.text.trim() === '' || infos[idx]!.list || infos[idx]!.heading) return;
    const combined = `${text}\n${next.text.trim()}`;
    const tokens = tokenize(combined, MAX_MATCH_TOKENS);
    const m2 = matchCriterion(tokens, c);
    const endToken = tokens[m2.end];
    if (m2.lcs <= m.lcs || !endToken || endToken.start < text.length) return;
    const added = tokens.filter((t) => t.start > text.length && t.start <= endToken.start).length;
    if ((m2.lcs - m.lcs) / added < 0.7) return;
    h.consumed++;
    text = combined.slice(0, endToken.end);
    h.inline = answerAfter(combined, endToken.end, m2, c);
    m = m2;
    if (h.inline !== '') return;
  }
}

// ---------------------------------------------------------------------------------------------
// Answers: the lines from a heading to the next, tidied.

function collectAnswers(lines: BodyLine[], headings: Array<Heading & { line: number }>, fromName: string): Record<string, string> {
  const answers: Record<string, string> = {};
  headings.forEach((h, k) => {
    const stop = headings[k + 1]?.line ?? lines.length;
    // A quoted criterion is all heading; a line of ours may carry the answer after the criterion.
    const inline = lines[h.line]!.kind === 'text' ? h.inline : '';
    const body: string[] = inline === '' ? [] : [inline];
    for (let j = h.line + 1 + h.consumed; j < stop; j++) {
      if (lines[j]!.kind === 'text') body.push(lines[j]!.text);
    }
    const text = formatAnswer(cutClosing(body, fromName));
    if (text !== '') answers[String(h.criterion + 1)] = text;
  });
  return answers;
}

/** "Best regards," "Thanks!" "Cheers", "Mit freundlichen Grüßen", "Cordialement" alone on a line. */
function isValediction(line: string): boolean {
  const s = line.trim();
  if (s.length > 40) return false;
  return /^(?:(?:best|kind|kindest|warm|warmest|many|with|sincere)\s+)?(?:regards|wishes|thanks|thank you|thanks a lot|thanks in advance|thank you in advance|cheers|sincerely|yours|yours truly|greetings|br|rgds|thx)\s*[,.!-]*$/i.test(s)
    || /^(?:mit freundlichen grüßen|mit freundlichen gruessen|viele grüße|beste grüße|cordialement|bien à vous|bien cordialement|saludos|un saludo|atentamente|met vriendelijke groet|distinti saluti|cordiali saluti)\s*[,.!-]*$/i.test(s);
}

/**
 * The sender's name, or part of it, alone on a line: the start of a signature. "Okafor, Chidi"
 * signs "Chidi Okafor" or "Chidi".
 */
function isNameLine(line: string, fromName: string): boolean {
  const nameWords = new Set(fromName.toLowerCase().split(/[\s,]+/).filter((w) => w.length >= 2));
  const words = line.trim().toLowerCase().replace(/[,.]$/, '').split(/\s+/).filter((w) => w !== '');
  return nameWords.size > 0 && words.length > 0 && words.length <= 4 && words.every((w) => nameWords.has(w));
}

/**
 * A closing and signature at the end of an answer ("Best regards,\nName\nTitle", or the sender's
 * name alone): cut when at most a few short lines follow it.
 */
function cutClosing(lines: string[], fromName: string): string[] {
  // Only the lines followed by at most six non-blank lines can start a closing.
  let from = lines.length;
  for (let seen = 0; from > 0 && seen < 7; from--) if (lines[from - 1]!.trim() !== '') seen++;
  for (let i = from; i < lines.length; i++) {
    if (!isValediction(lines[i]!) && !isNameLine(lines[i]!, fromName)) continue;
    if (lines.slice(i + 1).every((l) => l.trim().length <= 100)) return lines.slice(0, i);
  }
  return lines;
}

/** A line that starts a list item: kept on its own line when a paragraph is unwrapped. */
function isListItem(line: string): boolean {
  return /^(?:[-*•+]\s|\(?\d{1,2}[.)]\s)/.test(line);
}

/**
 * Paragraphs unwrapped into one line each (list items kept on their own lines), blanks collapsed,
 * paragraphs separated by one blank line. GitHub's "_No response_" is no answer.
 */
function formatAnswer(lines: string[]): string {
  const paragraphs: string[] = [];
  let current = '';
  const flush = (): void => {
    const p = current.trim();
    if (p !== '' && !/^_?no response_?$/i.test(p)) paragraphs.push(p);
    current = '';
  };
  for (const raw of lines) {
    const line = raw.trim().replace(/[ ]{2,}/g, ' ');
    if (line === '') { flush(); continue; }
    current = current === '' ? line : `${current}${isListItem(line) ? '\n' : ' '}${line}`;
  }
  flush();
  return paragraphs.join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// The alias: an address in the alias answer, else one the applicant asks us to subscribe.

/** Every e-mail address in the text, lower-cased, scanning outward from each "@" (linear). */
function findAddresses(text: string, limit: number): string[] {
  const isLocal = (ch: string): boolean => /[A-Za-z0-9._%+-]/.test(ch);
  const isDomain = (ch: string): boolean => /[A-Za-z0-9.-]/.test(ch);
  const out: string[] = [];
  for (let at = text.indexOf('@'); at >= 0 && out.length < limit; at = text.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && at - s < 64 && isLocal(text[s - 1]!)) s--;
    let e = at + 1;
    while (e < text.length && e - at < 254 && isDomain(text[e]!)) e++;
    while (s < at && text[s] === '.') s++;
    while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--;
    const local = text.slice(s, at);
    const domain = text.slice(at + 1, e);
    const labels = domain.split('.');
    if (local === '' || local.includes('..') || labels.length < 2 || labels.some((l) => l === '')) continue;
    if (!/^[a-z]{2,}$/i.test(labels[labels.length - 1]!)) continue;
    out.push(`${local}@${domain}`.toLowerCase());
  }
  return out;
}

/** "please subscribe x@y", "subscribe our alias <x@y> to the list": the first address soon after. */
function subscribeRequest(text: string): string | null {
  const re = /\bsubscribe\b/gi;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const found = findAddresses(text.slice(m.index, m.index + 120), 1)[0];
    if (found) return found;
  }
  return null;
}

function findAlias(aliasAnswer: string | undefined, ownText: string): string | null {
  const inAnswer = aliasAnswer === undefined ? undefined : findAddresses(aliasAnswer, 1)[0];
  return inAnswer ?? subscribeRequest(ownText);
}

// ---------------------------------------------------------------------------------------------
// The organization: from the subject, else the body, else a domain.

/** Words that make up "request to join the early disclosure list" and say nothing of who asks. */
const REQUEST_WORDS = new Set([
  'membership', 'member', 'join', 'joining', 'request', 'requesting', 'application', 'apply', 'applying',
  'early', 'disclosure', 'mailing', 'list', 'subscription', 'subscribe', 'istio', 'security', 'the', 'to',
  'for', 'of', 'a', 'an', 'our', 're', 'fwd', 'fw', 'new', 'access', 'from', 'by', 'on', 'behalf', 'and',
]);
const REQUEST_KEYWORDS = new Set([
  'membership', 'member', 'join', 'joining', 'request', 'requesting', 'application', 'apply', 'applying',
  'early', 'disclosure', 'mailing', 'list', 'subscription', 'subscribe',
]);

const bare = (w: string): string => w.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

function cleanOrganization(s: string): string | null {
  const out = s.trim().replace(/^[*_"'“‘]+|[*_"'”’]+$/g, '').replace(/['’]s$/, '').replace(/[\s.,;:!?]+$/, '').trim();
  if (out === '' || out.length > 80) return null;
  const words = out.split(/\s+/).map(bare).filter((w) => w !== '');
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
  const s = subject.slice(0, 300).replace(/^(?:\s*(?:(?:re|fwd?|aw|sv|tr)\s*(?:\[\d+\])?\s*:|\[[^\]]{0,60}\]))+/i, '').trim();
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
  const LABEL = /^(?:#{1,6}\s+)?[*_]*(?:organi[sz]ation|company|org|employer|vendor|corporation)(?:\s+name)?[*_]*\s*(?:[:\-–—][*_]*\s*(.*))?$/i;
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
  'gmail', 'googlemail', 'googlegroups', 'outlook', 'hotmail', 'live', 'msn', 'yahoo', 'icloud', 'me', 'aol',
  'proton', 'protonmail', 'gmx', 'mail', 'yandex', 'qq', '163', 'fastmail', 'zoho', 'web',
]);

/** The second-level label, capitalised: "mail.example.com" -> "Example", "acme.co.uk" -> "Acme". */
function organizationFromDomain(address: string | null): string | null {
  if (!address) return null;
  const labels = address.slice(address.lastIndexOf('@') + 1).toLowerCase().split('.').filter((l) => l !== '');
  if (labels.length < 2) return null;
  let k = labels.length - 2;
  const tld = labels[labels.length - 1]!;
  if (k > 0 && tld.length === 2 && /^(?:co|com|net|org|ac|gov|edu|ne|or|gv)$/.test(labels[k]!)) k--;
  const label = labels[k]!;
  if (SHARED_DOMAINS.has(label) || !/^[a-z0-9-]+$/.test(label)) return null;
  return label.charAt(0).toUpperCase() + label.slice(1);
}

function findOrganization(subject: string, lines: BodyLine[], alias: string | null, fromAddress: string): string | null {
  const own = lines.filter((l) => l.kind === 'text').map((l) => l.text);
  return organizationFromSubject(subject)
    ?? organizationFromBody(own)
    ?? organizationFromDomain(alias)
    ?? organizationFromDomain(fromAddress);
}

// ---------------------------------------------------------------------------------------------
// The embargo: accepted only when the answer says so plainly.

/** Phrases with "no" in them that do not deny anything. */
const HARMLESS_NO = /\bno\s+(?:problem|problems|issue|issues|objection|objections|concern|concerns|doubt|question|questions|reservation|reservations|exception|exceptions)\b/g;
const NEGATION = /\b(?:no|not|never|nope|cannot|decline|declined|refuse|refused|reject|rejected|disagree|unable|neither|nor)\b|n['’]t\b/;
const AFFIRMATION = /^(?:yes|yep|yeah|sure|absolutely|certainly|definitely|of course|agreed|accepted|acknowledged|confirmed|correct|ok|okay|accept|agree|we do|i do)\b|\b(?:we|i)\s+(?:(?:fully|hereby|do|will|can|also|both|all|happily|gladly)\s+){0,3}(?:accept|agree|comply|adhere|confirm)\b/;

/**
 * "We accept.", "Yes, we accept the embargo policy", "Accepted", "I agree", "Yes": true.
 * The first sentence must affirm and not deny; a denial of accepting anywhere ("we do not
 * accept", "we can't agree") makes it false, as does anything unclear.
 */
function acceptsClearly(answer: string): boolean {
  const s = answer.toLowerCase().replace(/\s+/g, ' ').replace(HARMLESS_NO, '').trim();
  // A Markdown task list: "- [x] We accept" ticks it, "- [ ] We accept" does not.
  if (s === '' || /\[\s\]/.test(s)) return false;
  if (/\b(?:not|never|cannot|can['’]t|won['’]t|don['’]t|doesn['’]t|do not|will not)\s+(?:\w+\s+){0,2}(?:accept|agree|comply|adhere)/.test(s)) return false;
  const first = (/^[^.!?;\n]*/.exec(s.replace(/^[-*]\s*\[x\]\s*/, ''))?.[0] ?? '').trim();
  return AFFIRMATION.test(first) && !NEGATION.test(first);
}

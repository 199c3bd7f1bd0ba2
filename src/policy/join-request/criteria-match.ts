/**
 * Matching a line to a criterion: does it quote the criterion's text (in order, from its start),
 * or is it a short label made of the criterion's key words? Pure.
 */
import { MAX_MATCH_TOKENS, STOP_WORDS, tokenize, type Criterion, type Token } from './words';

/** How a line's words line up with a criterion's words (longest common subsequence). */
export interface Match {
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
export function matchCriterion(tokens: Token[], c: Criterion): Match {
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
    if (cur[n]! > best) {
      best = cur[n]!;
      end = i;
    }
    [prev, cur] = [cur, prev];
  }
  if (best === 0) return NO_MATCH(c.index);
  // The first sentence is a prefix of the criterion, so its column holds the LCS with it: a line
  // that only goes on with the criterion's later words (a wrapped quote) does not cover it.
  const core = prev[c.coreLength]!;
  return {
    criterion: c.index,
    lcs: best,
    first,
    end,
    coverage: core / c.coreLength,
    density: best / (end - first + 1),
  };
}

/** The criterion a line quotes best; null when none or when two tie (ambiguous). */
export function bestMatch(tokens: Token[], criteria: Criterion[]): Match | null {
  let best: Match | null = null;
  let tie = false;
  for (const c of criteria) {
    const m = matchCriterion(tokens, c);
    if (m.lcs === 0) continue;
    if (best === null || m.lcs > best.lcs || (m.lcs === best.lcs && m.coverage > best.coverage)) {
      best = m;
      tie = false;
    } else if (m.lcs === best.lcs && m.coverage === best.coverage) tie = true;
  }
  return tie ? null : best;
}

export type HeadingForm = 'numbered' | 'formatted' | 'plain';

/**
 * Does the line start with (most of) the criterion's text? A numbered line needs less evidence
 * than a bare one; a bare line must be nearly the whole first sentence, from its first word, so
 * that an answer paraphrasing the criterion ("We have a user base not limited to ...") is not
 * mistaken for a heading.
 */
export function quotesCriterion(m: Match, form: HeadingForm, c: Criterion): boolean {
  const minWords = Math.min(3, c.coreLength);
  if (m.lcs < minWords) return false;
  if (form === 'plain')
    return m.first === 0 && m.lcs >= Math.min(4, c.coreLength) && m.coverage >= 0.7 && m.density >= 0.8;
  const minCoverage = form === 'numbered' ? 0.4 : 0.3;
  return m.first <= 1 && m.coverage >= minCoverage && m.density >= 0.6;
}

/**
 * A short heading or label made of the criterion's own key words ("**Security alias:**",
 * "### User base"): at most five words, most of them key words of one criterion, more than of
 * any other. Longer bold sentences ("**We are active contributors in the Istio community**") are
 * emphasis inside an answer, not headings.
 */
export function labelCriterion(text: string, criteria: Criterion[], minHits: number): number | null {
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
    if (hits > bestHits) {
      best = c.index;
      bestHits = hits;
      tie = false;
    } else if (hits === bestHits && hits > 0) tie = true;
  }
  if (tie || best === null || bestHits < minHits || bestHits / words.size < 0.6) return null;
  return best;
}

/** Words that turn a criterion into a question ("Do you have ...", "Are you involved ..."). */
const QUESTION_LEAD = new Set([
  'do',
  'doe',
  'does',
  'did',
  'are',
  'is',
  'will',
  'would',
  'can',
  'could',
  'you',
  'your',
]);

/** The line's words after a question's lead-in ("Do you", "Are you", "Does your"), at most three skipped. */
export function withoutQuestionLead(tokens: Token[]): Token[] {
  let k = 0;
  while (k < 3 && k < tokens.length - 1 && QUESTION_LEAD.has(tokens[k]!.word)) k++;
  return k === 0 ? tokens : tokens.slice(k);
}

/**
 * The line opens with the criterion's first words, word for word, and nothing else before a break: "Accept the
 * Embargo Policy", "Be involved in redistributing Istio:", "User base?" is not (too short). Every
 * word up to the match's end is the criterion's, in order, and the line ends there or goes on
 * after ":", "?" or " - ". A bare line needs four words; one with a number or formatting three.
 */
export function opensWithCriterion(m: Match, form: HeadingForm, c: Criterion, tokens: Token[], text: string): boolean {
  if (m.lcs === 0 || m.first !== 0 || m.end + 1 !== m.lcs || m.lcs < (form === 'plain' ? 4 : 3)) return false;
  // Word for word the criterion's opening: a wrapped quote's second line goes on from its middle.
  for (let k = 0; k < m.lcs; k++) if (tokens[k]!.word !== c.words[k]) return false;
  const after = text.slice(tokens[m.end]!.end);
  return /^\s*(?:$|[:?](?:\s|$)|[-–—](?:\s|$))/.test(after) || (form !== 'plain' && /^\s*[.…]*\s*$/.test(after));
}

/** The line is a heading for the criterion: it quotes it, or opens with its first words. */
export function headsCriterion(m: Match, form: HeadingForm, c: Criterion, tokens: Token[], text: string): boolean {
  return quotesCriterion(m, form, c) || opensWithCriterion(m, form, c, tokens, text);
}

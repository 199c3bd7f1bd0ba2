/**
 * Words of criteria and lines, and how well a line quotes a criterion. Pure. Criteria and lines
 * are compared as sequences of lower-cased, lightly stemmed words; only the first
 * MAX_MATCH_TOKENS words of a line are compared, and no regular expression is built from
 * configured text, so cost stays linear in the body.
 */

export interface Token {
  word: string;
  start: number;
  end: number;
}

/** Only this many words of a line are compared with a criterion: headings are short. */
export const MAX_MATCH_TOKENS = 80;

const WORD = /[\p{L}\p{N}]+(?:['’]\p{L}+)?/gu;

/** Words that say nothing about which criterion a line is about. */
export const STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'and',
  'or',
  'of',
  'to',
  'in',
  'on',
  'for',
  'by',
  'with',
  'our',
  'your',
  'we',
  'i',
  'be',
  'is',
  'are',
  'am',
  'it',
  'this',
  'that',
  'have',
  'has',
  'not',
  'must',
  'can',
  'cannot',
  'yes',
  'no',
  'above',
  'own',
  'us',
  'do',
  'does',
  'as',
  'at',
  'from',
  'any',
  'all',
]);

export function tokenize(text: string, limit = Number.POSITIVE_INFINITY): Token[] {
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

export interface Criterion {
  index: number;
  words: string[];
  wordSet: Set<string>;
  content: Set<string>;
  /** Words in the first sentence: quoting that sentence alone counts as quoting the criterion. */
  coreLength: number;
  /** What the criterion has after its last word ("?", " (required)."), skipped after a full quote. */
  tail: string;
}

export function compileCriterion(text: string, index: number): Criterion {
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

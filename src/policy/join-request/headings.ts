/**
 * Headings: which line introduces which criterion. A heading is numbered ("1.", "(1)", "Q1",
 * "Criterion 2 -"), a Markdown heading, a bold line, a ">"-quoted criterion, or the criterion's
 * text written out; it may carry the answer after it on the same line. Pure.
 */
import {
  bestMatch,
  headsCriterion,
  labelCriterion,
  matchCriterion,
  opensWithCriterion,
  withoutQuestionLead,
  type HeadingForm,
  type Match,
} from './criteria-match';
import { MAX_MATCH_TOKENS, tokenize, type Criterion } from './words';

export interface Heading {
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

export interface ListMark {
  number: number;
  style: string;
}

export interface LineInfo {
  heading: Heading | null;
  list: ListMark | null;
}

export const NOTHING: LineInfo = { heading: null, list: null };

/** "1." "1)" "(1)" "1 -" "1:" "#1" "Q1" "Criterion 2 -" at the start of a line. */
function parseMarker(s: string): { number: number; rest: string; style: string } | null {
  const m =
    /^((?:criterion|criteria|question|requirement|item|point|q)\s*(?:#|no\.?)?\s*|#\s*)?(?:\((\d{1,2})\)|(\d{1,2}))(?!\d)/i.exec(
      s,
    );
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
export function answerAfter(text: string, cut: number, m: Match, c: Criterion): string {
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

export function classifyLine(line: string, criteria: Criterion[], quoted: boolean): LineInfo {
  // Links are left in: an answer keeps its URLs, and a pasted "[Embargo Policy](#embargo-policy)"
  // only adds words that the in-order match skips.
  let s = line.trim();
  if (s === '') return NOTHING;
  let formatted = quoted;
  // Markdown heading, as GitHub issue templates write them: "### 1. Have an actively ..."
  const md = /^#{1,6}\s+/.exec(s);
  if (md) {
    s = dropClosingHashes(s.slice(md[0].length));
    formatted = true;
  }
  let em = unwrapEmphasis(s);
  // "**1.** Have ..." : only the number is bold.
  const boldNumber = em.emphasized ? parseMarker(em.text) : null;
  if (boldNumber && boldNumber.rest === '') em = { text: `${em.text} ${em.after}`, after: '', emphasized: false };
  s = em.text;

  const marker = parseMarker(s);
  if (marker) {
    // A number outside the criteria ("0.", "6.") says nothing: only the text can make a heading.
    const index = marker.number < 1 || marker.number > criteria.length ? null : marker.number - 1;
    // Bold around the whole line ("**1. Have ...**") or around the text after the number.
    const inner = em.emphasized
      ? { text: marker.rest, after: em.after, emphasized: true }
      : unwrapEmphasis(marker.rest);
    const whole = em.emphasized ? joinText(marker.rest, em.after) : marker.rest;
    return { heading: numberedHeading(index, inner, whole, criteria), list: marker };
  }

  const body = em.text;
  if (body.length > 400) return NOTHING;
  const tokens = withoutQuestionLead(tokenize(body, MAX_MATCH_TOKENS));
  const best = bestMatch(tokens, criteria);
  const c = best ? criteria[best.criterion]! : null;
  const form: HeadingForm = formatted || em.emphasized ? 'formatted' : 'plain';
  if (best && c && headsCriterion(best, form, c, tokens, body)) {
    // A bold or quoted heading is whole; a bare or Markdown one may carry the answer after it.
    if (em.emphasized || quoted) return { heading: makeHeading(best.criterion, body, em.after, best), list: null };
    const cut = tokens[best.end]!.end;
    return {
      heading: makeHeading(best.criterion, body.slice(0, cut), answerAfter(body, cut, best, c), best),
      list: null,
    };
  }
  if (form === 'formatted') {
    const label = labelCriterion(body, criteria, 2);
    if (label !== null) return { heading: makeHeading(label, body, em.after, null), list: null };
  }
  return NOTHING;
}

/**
 * A line that starts with a number. The criterion is the one its text heads (quotes, opens with,
 * or names in a short label), whatever the number says: applicants number from 0, write a number
 * twice or skip one. Only when the text heads none is the number's criterion taken (a weak
 * heading), and never for a number outside the criteria (`index` null). The criterion text, a
 * short label, or nothing may come before the answer.
 */
function numberedHeading(
  index: number | null,
  em: { text: string; after: string; emphasized: boolean },
  whole: string,
  criteria: Criterion[],
): Heading | null {
  const rest = em.text;
  const tokens = withoutQuestionLead(tokenize(rest, MAX_MATCH_TOKENS));
  const heads = (m: Match): boolean => headsCriterion(m, 'numbered', criteria[m.criterion]!, tokens, rest);
  let m = index === null ? null : matchCriterion(tokens, criteria[index]!);
  if (m === null || !heads(m)) {
    const other = bestMatch(tokens, criteria);
    if (
      other &&
      other.first === 0 &&
      heads(other) &&
      (other.coverage >= 0.6 || opensWithCriterion(other, 'numbered', criteria[other.criterion]!, tokens, rest))
    )
      m = other;
  }
  if (m !== null && heads(m)) {
    const c = criteria[m.criterion]!;
    if (em.emphasized) return makeHeading(c.index, rest, em.after, m);
    const cut = tokens[m.end]!.end;
    return makeHeading(c.index, rest.slice(0, cut), answerAfter(rest, cut, m, c), m);
  }
  const flat = stripEmphasisMarkers(whole);
  // "1. Security email alias" alone on its line: a label naming a criterion, the answer below.
  const named = em.after === '' && flat.length <= 60 ? labelCriterion(flat, criteria, 2) : null;
  if (named !== null) return makeHeading(named, flat, '', null);
  if (index === null) return null;
  const labelled = splitLabel(flat, criteria[index]!);
  if (labelled !== null) return { ...makeHeading(index, flat, labelled, null), strong: false };
  return { ...makeHeading(index, '', flat, null), strong: false };
}

export function makeHeading(criterion: number, headingText: string, inline: string, match: Match | null): Heading {
  return { criterion, strong: true, inline: inline.trim(), headingText, match, consumed: 0 };
}

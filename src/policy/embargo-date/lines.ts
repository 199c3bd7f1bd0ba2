/**
 * The embargo lines of a mail, not in quoted (">") lines, case-insensitive, with Markdown bold or a
 * list bullet allowed before a label:
 * - labels before a colon: "Embargo: ...", "Embargo until/end/date: ...", "Public disclosure (date): ...",
 *   "Disclosure date: ...", "Coordinated Release Date (CRD): ...", "CRD for <product>: ...",
 *   "Proposed public disclosure date/time: ...", "Release date: ...", "Publication (date): ...";
 * - sentences, anywhere in a line: "embargoed until ...", "The embargo ends/lifts/expires ...",
 *   "EMBARGO is still in effect until ...", "public release on ...", "will be made public on ...",
 *   "the CRD is ...", "CRD of ..."; the value runs to the end of the sentence, over at most two
 *   following lines when the sentence is wrapped;
 * - timeline lines: "2021-07-20: Coordinated Release Date (12:00 PM UTC)." (the date first).
 * A line is `strong` when it is one of the labels read before issue 13 ("Embargo: ...", "embargoed
 * until ...", "Public disclosure: ...", "Disclosure date: ..."): such a line counts even when it holds
 * no date. The other forms count only when their value holds something like a date, so that prose
 * ("the fix will be public on GitHub") is no embargo line. A `backRef` value names a date given
 * elsewhere ("until the CRD", "until the disclosure date").
 */
import { shown } from './format';

/** More distinct embargo lines than this is ambiguous without reading them all. */
export const MAX_LINES = 20;

/** A list bullet or heading mark and opening emphasis before a label. */
export const BULLET = /^\s*(?:[-*+•]\s+|#{1,6}\s+)?[*_]{0,3}\s*/;

export interface EmbargoLine {
  line: string;
  value: string;
  strong: boolean;
  backRef: boolean;
}

/** The labels read before issue 13: a line with one of them counts even without a date. */
const OLD_LABEL =
  /^(embargo(?:ed)?(?:\s+(?:until|till|end(?:s|\s+date)?|date|lifts?|expires?))?|public\s+disclosure(?:\s+date)?|disclosure\s+date)[*_]{0,3}\s*:[*_]{0,3}\s*(.*)$/i;
const OLD_UNTIL = /\bembargo(?:ed)?\s+(?:until|till)\b[*_]{0,3}\s*:?[*_]{0,3}\s*(.*)$/i;

const QUALIFIER = String.raw`(?:(?:proposed|planned|expected|tentative|scheduled|agreed|new|final|updated|revised|current|target)\s+)*`;
const NOUN = String.raw`(?:embargo(?:ed)?(?:\s+(?:until|till|end(?:s|\s+date)?|date|lifts?|expires?|end\s+time))?|coordinated\s+(?:public\s+)?(?:release|disclosure)(?:\s+date)?|CRD|(?:public\s+)?disclosure(?:\s+date)?|public\s+release(?:\s+date)?|release\s+date|publication(?:\s+date)?|public\s+date|date\s+of\s+(?:public\s+)?(?:disclosure|release|publication))`;
const SUFFIX = String.raw`(?:\s*(?:\/\s*time|and\s+time|time))?(?:\s*\(\s*(?:CRD|UTC|GMT)\s*\))?(?:\s+for\s+[^:\n]{1,80}?)?`;
const LABEL = new RegExp(String.raw`^${QUALIFIER}${NOUN}${SUFFIX}[*_]{0,3}\s*:[*_]{0,3}\s*(.*)$`, 'i');

/** Sentence forms: the value is what follows the match. */
const SENTENCE = new RegExp(
  [
    String.raw`\bembargo(?:ed)?\s+(?:is\s+|remains\s+)?(?:still\s+)?(?:in\s+(?:effect|place)\s+)?(?:until|till|through)\b`,
    String.raw`\bembargo\s+(?:period\s+)?(?:ends|will\s+end|expires|will\s+expire|lifts|will\s+lift|will\s+be\s+lifted|is\s+lifted|is\s+set\s+to\s+(?:end|lift|expire))(?:\s+(?:on|at))?\b`,
    String.raw`\b(?:coordinated\s+(?:public\s+)?(?:release|disclosure)\s+date(?:\s*\(\s*CRD\s*\))?|CRD|(?:public\s+)?disclosure\s+date|release\s+date|publication\s+date)(?:\s+(?:is|will\s+be|has\s+been\s+set|was\s+set|was\s+moved))?(?:\s+(?:set|scheduled|planned|moved))?\s+(?:of|on|at|for|to|is|as)\b`,
    String.raw`\b(?:public\s+(?:release|disclosure|announcement)|publication|disclosure)\s+(?:is\s+|will\s+be\s+)?(?:scheduled\s+|planned\s+|set\s+|expected\s+|proposed\s+)?(?:on|at|for)\b`,
    String.raw`\b(?:made|make|go|goes|going|become|becomes|be|is)\s+public(?:ly\s+(?:disclosed|released|announced))?\s+(?:on|at)\b`,
    String.raw`\bpublic\s+on\b`,
  ].join('|'),
  'gi',
);

/** Release sentences: the date may stand before the verb ("on Wednesday November 2nd, we will release ..."). */
const RELEASE =
  /\b(?:(?:will|to|shall)\s+be\s+(?:made\s+available|released|published|disclosed|issued|announced|made\s+public|releasing|publishing)|(?:plans?|planning|intends?|going)\s+to\s+(?:issue|release|publish|disclose|announce)|we\s+will\s+(?:release|publish|disclose|issue|announce))\b/gi;

/** A timeline entry: a date first, then what happens on it. */
const TIMELINE =
  /^((?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[A-Z]{1,5}|[+-]\d{2}:?\d{2}))?)?|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}))\s*(?::|\s[-–—|])\s*(.*)$/i;
const TIMELINE_EVENT =
  /\b(?:coordinated\s+(?:public\s+)?(?:release|disclosure)(?:\s+date)?|CRD|public\s+(?:disclosure|release|announcement)|disclosure\s+date|release\s+date|publication(?:\s+date)?|embargo\s+(?:ends|end|lifts?|lifted|expires?)|(?:made|goes|go)\s+public)\b[\s:*_]*/i;

/** Values that name a date given elsewhere in the mail, not a date. */
const BACK_REF =
  /^(?:(?:on|at|until|till)\s+)?(?:the\s+|our\s+|that\s+|this\s+)?(?:(?:agreed|proposed|planned|above|coordinated|public)\s+)*(?:CRD|coordinated\s+release\s+date|(?:public\s+)?disclosure(?:\s+date)?|release(?:\s+date)?|publication(?:\s+date)?|embargo\s+(?:end|date)|date\s+(?:above|below|given|mentioned)|end\s+date|same\s+date|then)\b/i;

/** Something that looks like a date or a time: a digit, a month or a weekday, noon or midnight. */
const DATE_LIKE =
  /\d|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b|\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b|\bnoon\b|\bmidnight\b/i;

/** A month, a weekday, a year-first date or a time: a date stands here, not only a version number. */
const DATE_WORD =
  /\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|\d{4}-\d{2}-\d{2}|\d:\d{2}/i;

/** Where a sentence ends: a semicolon, or a full stop before a capitalised word (not "p.m. UTC"). */
const SENTENCE_END = /;|\.\s+(?=[A-Z][a-z])|\.\s*$/;

function sentenceValue(rest: string): { value: string; ended: boolean } {
  const m = SENTENCE_END.exec(rest);
  return m ? { value: rest.slice(0, m.index), ended: true } : { value: rest, ended: false };
}

export function isBackRef(value: string): boolean {
  const plain = value.replace(/[*_`]+|\[\d+\]/g, '').trim();
  return BACK_REF.test(plain) && !/\d/.test(plain);
}

/** A label's empty value may stand on the next line, when that line holds only a date ("CRD:\n  2019-09-06 10:00 UTC"). */
const VALUE_LINE =
  /^\s*(?:\d|(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)(?![^:]*:\s)/i;

/** A label as written with hyphens ("Disclosure-date:"): read as with spaces. */
const labelText = (body: string): string => body.replace(/(?<=[a-z])-(?=[a-z])/gi, ' ');

export function isDateLike(value: string): boolean {
  return DATE_LIKE.test(value);
}

/** The embargo lines of a text (not quoted ones): the line as written and the value after its label. */
export function embargoLines(text: string): EmbargoLine[] {
  const found = new Map<string, EmbargoLine>();
  const raws = text.split(/\r\n|\r|\n/);
  const usable = (i: number): boolean => i < raws.length && !/^\s*>/.test(raws[i]!) && raws[i]!.trim() !== '';
  const add = (raw: string, value: string, strong: boolean): void => {
    const backRef = isBackRef(value);
    if (!strong && !backRef && !isDateLike(value)) return;
    const line = shown(raw);
    const key = `${line}\u0000${value}`;
    if (!found.has(key)) found.set(key, { line, value, strong, backRef });
  };
  for (let i = 0; i < raws.length && found.size <= MAX_LINES; i++) {
    const raw = raws[i]!;
    if (/^\s*>/.test(raw)) continue;
    const body = raw.replace(BULLET, '');
    const old = OLD_LABEL.exec(labelText(body));
    const label = old ? null : LABEL.exec(labelText(body));
    if (old || label) {
      let value = (old ? old[2] : label![1]) ?? '';
      let shownRaw = raw;
      if (value.trim() === '' && usable(i + 1) && VALUE_LINE.test(raws[i + 1]!)) {
        value = raws[i + 1]!.trim();
        shownRaw = `${raw.trim()} ${value}`;
      }
      add(shownRaw, value, old !== null);
      continue;
    }
    const timeline = TIMELINE.exec(body);
    if (timeline) {
      const event = TIMELINE_EVENT.exec(timeline[2] ?? '');
      if (event) {
        const after = (timeline[2] ?? '').slice(event.index + event[0].length);
        add(raw, `${timeline[1]} ${sentenceValue(after).value}`, false);
        continue;
      }
    }
    const until = OLD_UNTIL.exec(body);
    SENTENCE.lastIndex = 0;
    const sentences = [...body.matchAll(SENTENCE), ...body.matchAll(RELEASE)];
    if (!until && sentences.length === 0) continue;
    // The sentence may be wrapped: read on over at most two following lines until it ends.
    let joined = body;
    let shownRaw = raw;
    for (let j = i + 1; j <= i + 2 && usable(j) && !sentenceValue(joined).ended; j++) {
      if (OLD_LABEL.test(raws[j]!.replace(BULLET, '')) || LABEL.test(raws[j]!.replace(BULLET, ''))) break;
      joined = `${joined} ${raws[j]!.trim()}`;
      shownRaw = `${shownRaw} ${raws[j]!.trim()}`;
    }
    if (until) {
      const at = OLD_UNTIL.exec(joined)!;
      add(shownRaw, sentenceValue(at[1] ?? '').value, true);
    }
    for (const m of joined.matchAll(SENTENCE)) {
      if (until && /^embargo(?:ed)?\s+(?:until|till)\b/i.test(m[0])) continue;
      add(shownRaw, sentenceValue(joined.slice(m.index + m[0].length)).value, false);
    }
    for (const m of joined.matchAll(RELEASE)) {
      const after = sentenceValue(joined.slice(m.index + m[0].length)).value;
      if (DATE_WORD.test(after)) add(shownRaw, after, false);
      else {
        // The whole sentence, when the date stands before the verb.
        const before = joined.slice(0, m.index);
        const start = Math.max(0, ...[...before.matchAll(/[.;!?]\s+(?=[A-Z])/g)].map((s) => s.index + s[0].length));
        add(shownRaw, `${before.slice(start)} ${after}`, false);
      }
    }
  }
  return [...found.values()];
}

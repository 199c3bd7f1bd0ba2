/**
 * Reads one value ("2026-12-03 16:00 UTC", "Dec 3, 2026 4pm UTC") to a single instant, or says why
 * not. Numeric day/month forms (12/03/2026, 3.12.2026, 12/03) are refused: 03/12 is 3 December in
 * Europe and March 12 in the US. Two readings of one end agree; two different ends do not.
 */
import { shown } from './format';
import { isoMentions } from './iso';
import type { Mention, Say } from './mention';
import { writtenMentions } from './written';

/** Only this much of a value is read. */
const MAX_VALUE = 300;
/** Numeric dates whose day and month order is not known. */
const NUMERIC_DM =
  /(?<![\d/.-])(?:\d{1,2}([./-])\d{1,2}\1\d{4}|\d{1,2}\/\d{1,2}\/\d{2}|\d{1,2}\/\d{1,2})(?!\d|[/.-]\d)/;
const NO_DATE = /^(?:none|n\/?a|tbd|tba|tbc|unknown|not set|no embargo|-+|\?+)(?!\w)/i;

/** At most MAX_VALUE characters, cut at a space so that no date or zone is cut in half. */
function cut(value: string): string {
  if (value.length <= MAX_VALUE) return value;
  const head = value.slice(0, MAX_VALUE);
  const space = head.lastIndexOf(' ');
  return space > 0 ? head.slice(0, space) : head;
}

/** Reads one value; `subject` starts each message, `example` is the value offered instead. */
export function readValue(
  raw: string,
  subject: string,
  example: string,
): { ok: true; end: Date } | { ok: false; message: string } {
  const value = cut(
    raw
      .replace(/\*+|`+|__+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/[.,;]+$/, ''),
  );
  const fail = (message: string) => ({ ok: false as const, message });
  if (value === '') return fail(`${subject} gives no date; write the end on the same line, e.g. "${example}".`);
  if (NO_DATE.test(value)) return fail(`${subject} gives no date; a disclosure needs an end such as "${example}".`);
  const numeric = NUMERIC_DM.exec(value);
  if (numeric) {
    return fail(
      `${subject} writes the date as "${numeric[0]}", which Europe and the US read differently (day/month or month/day); write it in ISO 8601, e.g. "${example}".`,
    );
  }

  const say: Say = { subject, example };
  const iso = isoMentions(value, say);
  const written = writtenMentions(iso.rest, say);
  if (!written.ok) return fail(written.message);
  const mentions = [...iso.mentions, ...written.mentions];

  const complete = mentions.filter((m): m is Extract<Mention, { end: Date }> => 'end' in m);
  const first = complete[0];
  // Two readings of one end ("16:00 UTC / 17:00 CET") are fine; two different ends are not.
  const differ = complete.find((m) => first && m.end.getTime() !== first.end.getTime());
  const sameDay = (a: string, b: string): boolean => a === b || (b.startsWith('*') && a.endsWith(b.slice(1)));
  const stray = mentions.find((m) => 'problem' in m && !complete.some((c) => sameDay(c.day, m.day)));
  if (first && (differ || stray)) {
    return fail(
      `${subject} names more than one date ("${shown(first.text)}" and "${shown((differ ?? stray)!.text)}"); keep only the embargo end.`,
    );
  }
  if (first) return { ok: true, end: first.end };
  const problem = mentions.find((m): m is Extract<Mention, { problem: string }> => 'problem' in m);
  if (problem) return fail(problem.problem);
  if (written.timeOnly !== null)
    return fail(
      `${subject} gives "${shown(written.timeOnly)}" but no full date; write the date with its year, e.g. "${example}".`,
    );
  return fail(`${subject} holds no date that can be read; write it in ISO 8601, e.g. "${example}".`);
}

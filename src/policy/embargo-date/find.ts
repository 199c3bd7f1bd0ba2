/** The embargo end of a disclosure's text, or of a keyword's argument, checked against the clock. */
import { DAY, exampleEnd, formatUtc, shown } from './format';
import { embargoLines, MAX_LINES } from './lines';
import type { EmbargoEnd, EmbargoOptions, EmbargoProblem } from './types';
import { readValue } from './value';

/** An end equal to now is past; an end exactly maxDays from now is allowed. */
function checkRange(end: Date, opts: EmbargoOptions, example: string): EmbargoProblem | null {
  const now = opts.now.getTime();
  if (end.getTime() <= now) {
    return {
      code: 'EMBARGO_PAST',
      end,
      message: `The embargo end "${formatUtc(end)}" is in the past; give a future date such as "${example}".`,
    };
  }
  if (end.getTime() - now > opts.maxDays * DAY) {
    const latest = formatUtc(new Date(now + opts.maxDays * DAY));
    return {
      code: 'EMBARGO_TOO_FAR',
      end,
      maxDays: opts.maxDays,
      message: `The embargo end "${formatUtc(end)}" is more than ${opts.maxDays} days away; give an end no later than "${latest}".`,
    };
  }
  return null;
}

/**
 * Finds the embargo end in a disclosure's text (the lines of ./lines). Lines that give the same
 * instant agree; lines that give different instants are EMBARGO_AMBIGUOUS, and one that cannot be
 * read makes the whole text EMBARGO_UNREADABLE (fail closed).
 */
export function findEmbargoEnd(
  text: string,
  opts: EmbargoOptions,
): { ok: true; end: EmbargoEnd } | { ok: false; problem: EmbargoProblem } {
  const example = `Embargo: ${exampleEnd(opts)}`;
  const lines = embargoLines(text);
  if (lines.length === 0) {
    return {
      ok: false,
      problem: { code: 'EMBARGO_MISSING', message: `The message has no embargo line; add one such as "${example}".` },
    };
  }
  if (lines.length > MAX_LINES) {
    return {
      ok: false,
      problem: {
        code: 'EMBARGO_AMBIGUOUS',
        lines: lines.map((l) => l.line),
        message: `The message has more than ${MAX_LINES} different embargo lines; keep exactly one, such as "${example}".`,
      },
    };
  }
  const read: EmbargoEnd[] = [];
  let unreadable: EmbargoProblem | null = null;
  for (const { line, value } of lines) {
    const r = readValue(value, `The embargo line "${line}"`, example);
    if (r.ok) {
      if (!read.some((e) => e.end.getTime() === r.end.getTime())) read.push({ end: r.end, line });
    } else {
      unreadable ??= { code: 'EMBARGO_UNREADABLE', line, message: r.message };
    }
  }
  if (read.length > 1) {
    const listed = read.map((e) => `"${e.line}"`).join(' and ');
    return {
      ok: false,
      problem: {
        code: 'EMBARGO_AMBIGUOUS',
        lines: read.map((e) => e.line),
        message: `The message gives ${read.length} different embargo ends (${listed}); keep exactly one embargo line.`,
      },
    };
  }
  if (unreadable) return { ok: false, problem: unreadable };
  const found = read[0]!;
  const problem = checkRange(found.end, opts, example);
  return problem ? { ok: false, problem } : { ok: true, end: found };
}

/** Reads just a date given as a keyword argument ("EMBARGO 2026-12-05 16:00 UTC" or "2026-12-05 16:00 UTC"); same rules. */
export function parseEmbargoDate(
  text: string,
  opts: EmbargoOptions,
): { ok: true; end: Date } | { ok: false; problem: EmbargoProblem } {
  const example = exampleEnd(opts);
  const line = shown(text);
  const value = text.replace(/^\s*embargo(?:ed)?(?:\s+until)?\s*:?/i, '');
  if (value.trim() === '') {
    return {
      ok: false,
      problem: {
        code: 'EMBARGO_MISSING',
        message: `No embargo end was given; write it after the keyword, e.g. "EMBARGO ${example}".`,
      },
    };
  }
  const r = readValue(value, `The embargo date "${line}"`, example);
  if (!r.ok) return { ok: false, problem: { code: 'EMBARGO_UNREADABLE', line, message: r.message } };
  const problem = checkRange(r.end, opts, example);
  return problem ? { ok: false, problem } : { ok: true, end: r.end };
}

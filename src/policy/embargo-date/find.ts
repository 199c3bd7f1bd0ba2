/** The embargo end of a disclosure's text, or of a keyword's argument, checked against the clock. */
import { DAY, exampleEnd, formatKeyword, formatUtc, formatWords, shown } from './format';
import { doubtElsewhere } from './doubt';
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

type Found = { ok: true; end: EmbargoEnd } | { ok: false; problem: EmbargoProblem };

/** One line's reading: an end, a proposal (with why), or a refusal. */
interface LineReading {
  line: string;
  end?: Date;
  why?: string | null;
  refusal?: string;
}

/**
 * Finds the embargo end in a disclosure's text (the lines of ./lines). Lines that give the same
 * instant agree; lines that give different instants propose the later (EMBARGO_PROPOSED), more
 * than MAX_LINES are EMBARGO_AMBIGUOUS, and one that cannot be read makes the whole text
 * EMBARGO_UNREADABLE (fail closed). A line that only refers to a date
 * given elsewhere ("until the CRD") does not count when another line gives a date. A reading that
 * is not certain (an approximate time, a window, no year, two candidate dates) is EMBARGO_PROPOSED:
 * the end it would be, for a person to confirm; never an end.
 */
export function findEmbargoEnd(text: string, opts: EmbargoOptions): Found {
  const example = `Embargo: ${exampleEnd(opts)}`;
  const all = embargoLines(text);
  if (all.length > MAX_LINES) {
    return {
      ok: false,
      problem: {
        code: 'EMBARGO_AMBIGUOUS',
        lines: all.map((l) => l.line),
        message: `The message has more than ${MAX_LINES} different embargo lines; keep exactly one, such as "${example}".`,
      },
    };
  }
  const read: LineReading[] = [];
  // A back-reference ("until the CRD") gives no date: the date, if any, is on another line.
  for (const l of all.filter((x) => !x.backRef)) {
    const r = readValue(l.value, `The embargo line "${l.line}"`, example, opts.mailDate ?? null);
    if (r.ok) read.push({ line: l.line, end: r.end, why: r.why });
    else if (l.strong || r.found) read.push({ line: l.line, refusal: r.message });
  }
  const lines = read;
  if (lines.length === 0) {
    return {
      ok: false,
      problem: { code: 'EMBARGO_MISSING', message: `The message has no embargo line; add one such as "${example}".` },
    };
  }
  const ends = lines.filter((r): r is LineReading & { end: Date } => r.end !== undefined);
  const distinct = ends.filter((e, i) => ends.findIndex((o) => o.end.getTime() === e.end.getTime()) === i);
  const refused = lines.find((r) => r.refusal !== undefined);
  if (refused)
    return { ok: false, problem: { code: 'EMBARGO_UNREADABLE', line: refused.line, message: refused.refusal! } };
  // Two candidate dates: never an end, but the later one is proposed (lifting later leaks nothing).
  if (distinct.length > 1) {
    const later = distinct.reduce((a, b) => (b.end.getTime() > a.end.getTime() ? b : a));
    const listed = distinct.map((e) => `"${shown(e.line)}"`).join(' and ');
    ends.splice(0, ends.length, {
      ...later,
      why: `is the later of ${distinct.length} different embargo ends in the message (${listed}), the safe reading`,
    });
  }
  // One instant: certain when any line gives it without doubt and nothing elsewhere in the
  // message moves it or names a later date (./doubt), else a proposal.
  const doubt = doubtElsewhere(text, ends[0]!.end);
  if (doubt) for (const e of ends) e.why = e.why ? `${e.why}; ${doubt}` : doubt;
  const sure = ends.find((e) => !e.why);
  const found = sure ?? ends[0]!;
  const problem = checkRange(found.end, opts, example);
  if (problem) return { ok: false, problem };
  if (sure) return { ok: true, end: { end: sure.end, line: sure.line } };
  const proposal = { end: found.end, line: found.line, why: found.why! };
  return {
    ok: false,
    problem: {
      code: 'EMBARGO_PROPOSED',
      proposal,
      message: `The embargo line "${shown(found.line)}" ${proposal.why}: it would end the embargo at ${formatUtc(found.end)} (${formatWords(found.end)}), but a disclosure opens only on an end a person confirmed; to send it with that end, reply "EMBARGO ${formatKeyword(found.end)}".`,
    },
  };
}

/** Reads just a date given as a keyword argument ("EMBARGO 2026-12-05 16:00 UTC" or "2026-12-05 16:00 UTC"); same rules, and no proposals: the keyword must be exact. */
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
  const subject = `The embargo date "${line}"`;
  const r = readValue(value, subject, example, null);
  if (!r.ok) return { ok: false, problem: { code: 'EMBARGO_UNREADABLE', line, message: r.message } };
  if (r.why)
    return {
      ok: false,
      problem: {
        code: 'EMBARGO_UNREADABLE',
        line,
        message: `${subject} ${r.why}; give the exact end, e.g. "EMBARGO ${formatKeyword(r.end)}".`,
      },
    };
  const problem = checkRange(r.end, opts, example);
  return problem ? { ok: false, problem } : { ok: true, end: r.end };
}

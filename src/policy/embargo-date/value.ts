/**
 * Reads one value ("2026-12-03 16:00 UTC", "Dec 3, 2026 4pm UTC", "2021-07-20 (12:00 PM UTC)") to a
 * single instant, to a proposal (an instant a person must confirm, and why), or says why not.
 *
 * A date without a time takes the time written next to it ("2026-12-03 (16:00 UTC)"); further
 * times beside it are other writings of the same end and must agree with it ("10:00 PDT (17:00
 * GMT)"); one in a zone that is refused here ("17:00 UTC (10am PT)") must agree under one of the
 * offsets the name may stand for. An end in a refused zone is read from such a clear second writing.
 * Proposed, not read: an approximate time, a window (its end), "12:00 AM" (the later midnight), a
 * date without a year when the mail's Date fixes it (the first such instant after it), and two
 * different ends in one value (the later).
 */
import { DAY, formatUtc, shown } from './format';
import { isoReadings } from './iso';
import { hm, mention, ymd, type Parts, type Reading, type Say } from './mention';
import { normalise } from './normalise';
import { writtenReadings } from './written';
import { possibleOffsets } from './zones';

/** Only this much of a value is read. */
const MAX_VALUE = 300;
const NO_DATE = /^(?:none|n\/?a|tbd|tba|tbc|unknown|not set|no embargo|-+|\?+)(?!\w)/i;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MINUTES_A_DAY = 1440;

/**
 * The reading of one value. `why` set: a proposal, not an end. `found` false: nothing in the value
 * looked like a date at all (a line that is only prose may then be no embargo line).
 */
export type ValueReading = { ok: true; end: Date; why: string | null } | { ok: false; message: string; found: boolean };

type Judged =
  | { ok: true; end: Date; day: string; text: string; noYear: string | null }
  | { ok: false; kind: 'no-time' | 'no-year' | 'other'; day: string; text: string; problem: string };

/** At most MAX_VALUE characters, cut at a space so that no date or zone is cut in half. */
function cut(value: string): string {
  if (value.length <= MAX_VALUE) return value;
  const head = value.slice(0, MAX_VALUE);
  const space = head.lastIndexOf(' ');
  return space > 0 ? head.slice(0, space) : head;
}

/** The same minute of the day, whichever day: two writings of one end in two zones. */
function sameTimeOfDay(end: Date, t: NonNullable<Reading['time']>, offset: number, dayAfter: boolean): boolean {
  const h = dayAfter ? 0 : t.h;
  const utc = (((h * 60 + t.mi - offset) % MINUTES_A_DAY) + MINUTES_A_DAY) % MINUTES_A_DAY;
  return utc === end.getUTCHours() * 60 + end.getUTCMinutes() && t.s === end.getUTCSeconds();
}

/** Judges one date with its time and the other writings of it (`alts`), for the year `y`. */
function judgeYear(d: Reading, alts: Reading[], y: number, say: Say): Judged {
  const date = d.date!;
  const time = d.time!;
  const day = ymd({ y, mo: date.mo, d: date.d });
  const fail = (problem: string): Judged => ({ ok: false, kind: 'other', day, text: d.text, problem });
  const real = new Date(Date.UTC(y, date.mo - 1, date.d)).getUTCDay();
  if (date.weekday !== null && date.weekday !== real) {
    return fail(
      `${say.subject} says ${WEEKDAYS[date.weekday] ?? 'a weekday'}, but ${day} is a ${WEEKDAYS[real]}; check the date and write it in ISO 8601, e.g. "${say.example}".`,
    );
  }
  // An end written in a refused zone (or none) is read from a second writing in a clear zone.
  let main: Reading = d;
  let others = alts;
  if (!d.zone?.ok) {
    const clear = alts.find((a) => a.zone?.ok);
    if (clear) {
      main = { ...clear, date: d.date };
      others = [d, ...alts.filter((a) => a !== clear)];
    }
  }
  const mt = main.time!;
  const parts: Parts = { y, mo: date.mo, d: date.d, h: mt.h, mi: mt.mi, s: mt.s, ms: mt.ms };
  const m = mention(main.text, parts, main.zone, say, main.dayAfter);
  if ('problem' in m) return fail(m.problem);
  for (const a of others) {
    if (!a.zone || !a.time) continue; // a time with no zone says nothing about the instant
    const offsets = possibleOffsets(a.zone, m.end);
    if (offsets.length === 0)
      return fail(
        `${say.subject} names the time zone "${shown(a.zone.name)}", which is ambiguous or not known here; use UTC or a numeric offset, e.g. "${ymd(parts)} ${hm(time)} UTC".`,
      );
    if (a.zone.ok) {
      const own = mention(a.text, { ...parts, h: a.time.h, mi: a.time.mi, s: a.time.s }, a.zone, say, a.dayAfter);
      if ('problem' in own && !own.problem.includes('not a real date')) return fail(own.problem);
    }
    if (!offsets.some((o) => sameTimeOfDay(m.end, a.time!, o, a.dayAfter === true)))
      return fail(
        `${say.subject} gives two times that do not agree ("${shown(main.text)}" is ${formatUtc(m.end)}, "${shown(a.text)}" is not); keep one, e.g. "${say.example}".`,
      );
  }
  return { ok: true, end: m.end, day, text: d.text, noYear: null };
}

/** Judges one date: its year as written, or (none written) the first year after the mail's Date. */
function judge(d: Reading, alts: Reading[], say: Say, mailDate: Date | null): Judged {
  const date = d.date!;
  const starred = `*-${String(date.mo).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
  if (date.y === null && !mailDate)
    return {
      ok: false,
      kind: 'no-year',
      day: starred,
      text: d.text,
      problem: `${say.subject} gives "${shown(d.text)}" without a year; write the full date, e.g. "${say.example}".`,
    };
  if (!d.time) {
    const day = date.y === null ? starred : ymd({ y: date.y, mo: date.mo, d: date.d });
    const example = date.y === null ? day.replace('*', String(mailDate!.getUTCFullYear())) : day;
    return {
      ok: false,
      kind: 'no-time',
      day,
      text: d.text,
      problem: `${say.subject} gives a date but no time; add a time and a time zone, e.g. "${example} 16:00 UTC".`,
    };
  }
  if (date.y !== null) return judgeYear(d, alts, date.y, say);
  // The first such instant after the mail's Date: this year's, unless it is not after the Date.
  const first = mailDate!.getUTCFullYear();
  let j = judgeYear(d, alts, first, say);
  const before = j.ok
    ? j.end.getTime() <= mailDate!.getTime()
    : Date.UTC(first, date.mo - 1, date.d) + 2 * DAY <= mailDate!.getTime();
  if (before) j = judgeYear(d, alts, first + 1, say);
  if (!j.ok) return j;
  return {
    ...j,
    noYear: `gives no year ("${shown(d.text)}"); the first such time after the mail's date (${formatUtc(mailDate!)}) is in ${j.day.slice(0, 4)}`,
  };
}

/** Reads one value; `subject` starts each message, `example` is the value offered instead. */
export function readValue(raw: string, subject: string, example: string, mailDate: Date | null = null): ValueReading {
  const value = cut(
    raw
      .replace(/\*+|`+|__+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/[.,;]+$/, ''),
  );
  const fail = (message: string, found = true) => ({ ok: false as const, message, found });
  if (value === '') return fail(`${subject} gives no date; write the end on the same line, e.g. "${example}".`);
  if (NO_DATE.test(value)) return fail(`${subject} gives no date; a disclosure needs an end such as "${example}".`);
  const n = normalise(value, subject, example);
  if ('message' in n) return fail(n.message);

  const say: Say = { subject, example };
  const iso = isoReadings(n.value);
  const written = writtenReadings(iso.rest, say);
  if (!written.ok) return fail(written.message);
  const readings = [...iso.readings, ...written.readings]
    .map((r) => ({ ...r, dayAfter: n.dayAfter.some((i) => i >= r.index && i < r.index + r.text.length) }))
    .sort((a, b) => a.index - b.index);
  if (readings.length === 0)
    return fail(`${subject} holds no date that can be read; write it in ISO 8601, e.g. "${example}".`, false);
  const dated = readings.filter((r) => r.date !== null);
  const times = readings.filter((r) => r.date === null);
  if (dated.length === 0)
    return fail(
      `${subject} gives "${shown(times[0]!.text)}" but no full date; write the date with its year, e.g. "${example}".`,
    );

  // A date without a time takes the nearest time after it (before the next date), else the nearest before it.
  const used = new Set<Reading>();
  const groups = dated.map((d, i) => {
    const next = dated[i + 1]?.index ?? Infinity;
    const prev = i > 0 ? dated[i - 1]!.index : -1;
    if (d.time) return { d, alts: [] as Reading[] };
    const t =
      times.find((x) => !used.has(x) && x.index > d.index && x.index < next) ??
      [...times].reverse().find((x) => !used.has(x) && x.index < d.index && x.index > prev);
    if (!t) return { d, alts: [] as Reading[] };
    used.add(t);
    return {
      d: { ...d, text: `${d.text} ${t.text}`, time: t.time, zone: t.zone, dayAfter: t.dayAfter },
      alts: [] as Reading[],
    };
  });
  // Any other time is a second writing of the nearest date before it (or of the first).
  for (const t of times) {
    if (used.has(t)) continue;
    const owner = [...groups].reverse().find((g) => g.d.index < t.index) ?? groups[0]!;
    owner.alts.push(t);
  }

  const judged = groups.map((g) => judge(g.d, g.alts, say, mailDate));
  const complete = judged.filter((j): j is Extract<Judged, { ok: true }> => j.ok);
  const refused = judged.filter((j): j is Extract<Judged, { ok: false }> => !j.ok);
  if (complete.length === 0) return fail(refused[0]!.problem);
  const latest = complete.reduce((a, b) => (b.end.getTime() > a.end.getTime() ? b : a));
  const sameDay = (a: string, b: string): boolean => a === b || (b.startsWith('*') && a.endsWith(b.slice(1)));
  const lesser: string[] = [];
  for (const r of refused) {
    if (r.kind === 'other') return fail(r.problem);
    if (complete.some((c) => sameDay(c.day, r.day))) continue; // the same date written again, without its time
    if (!r.day.startsWith('*') && r.day < latest.day) {
      lesser.push(r.text);
      continue;
    }
    return fail(
      `${subject} names more than one date ("${shown(latest.text)}" and "${shown(r.text)}"); keep only the embargo end.`,
    );
  }
  const distinct = complete.filter(
    (c, i) => complete.findIndex((o) => o.end.getTime() === c.end.getTime()) === i && c !== latest,
  );
  const why: string[] = [];
  const others = [...distinct.filter((c) => c.end.getTime() !== latest.end.getTime()).map((c) => c.text), ...lesser];
  if (others.length > 0)
    why.push(
      `names more than one date (${[...others, latest.text].map((t) => `"${shown(t)}"`).join(' and ')}); the later is the safe reading`,
    );
  if (n.approx) why.push(`gives an approximate time ("${shown(n.approx)}")`);
  if (n.window) why.push(`gives a window of times ("${shown(n.window)}"), whose end is the safe reading`);
  if (n.midnight12)
    why.push(
      `says "${shown(n.midnight12)}", which people use for the midnight that starts a day and for the one that ends it; the later is the safe reading`,
    );
  if (latest.noYear) why.push(latest.noYear);
  const extra = leftover(n.value, readings, groups, latest.day);
  if (extra) why.push(`adds "${shown(extra)}", which the reader does not weigh: it may move or question the end`);
  return { ok: true, end: latest.end, why: why.length > 0 ? why.join('; ') : null };
}

/** Words beside a date that change or question it. */
const DOUBT =
  /\b(?:plus|minus|extend\w*|extension|tentative\w*|provisional\w*|subject\s+to|likely|may|might|could|slip\w*|unless|if\b|earlie\w*|later|whichever|then|delay\w*|postpon\w*|resched\w*|revis\w*|moved?|push\w*|tb[acd]|estimated?|expected|target\w*|pending|until\s+further|or\b)/i;
const WEEKDAY_WORD = /\b(sun|mon|tue|wed|thu|fri|sat)[a-z]*\b/gi;

/**
 * What the value says besides the dates and times it was read from (their spans blanked), when it
 * may change the end: words that move or question it ("+ 48h", "(tentative)", "or earlier",
 * "extended by 7 days"), a number (a year, an hour without a zone that is not the end's), or a
 * weekday that is not the end's. Null when nothing is left but filler.
 */
function leftover(value: string, readings: Reading[], groups: { d: Reading }[], day: string): string | null {
  let rest = value;
  for (const r of readings) {
    if (r.date === null && r.zone === null && r.time) {
      // A time without a zone: another writing of the end's time only if it is the same time.
      const same = groups.some((g) => g.d.time && g.d.time.h === r.time!.h && g.d.time.mi === r.time!.mi);
      if (!same) continue;
    }
    rest = rest.slice(0, r.index) + ' '.repeat(r.text.length) + rest.slice(r.index + r.text.length);
  }
  // What follows the last date may be the next sentence, run on from a wrapped line: it ends at a
  // full stop or at a capitalised word after a space ("... 1200UTC Please do not ...").
  const last = Math.max(...readings.map((r) => r.index + r.text.length));
  const tail = rest.slice(last);
  const stop = /[.!?](?:\s|$)|\s(?=[A-Z][a-z])/.exec(tail);
  const words = (rest.slice(0, last) + (stop ? tail.slice(0, stop.index) : tail)).replace(/\s+/g, ' ').trim();
  if (words === '') return null;
  const doubt = DOUBT.exec(words);
  if (doubt) return words;
  if (/\d/.test(words)) return words;
  const real = new Date(`${day}T00:00:00Z`).getUTCDay();
  for (const m of words.matchAll(WEEKDAY_WORD)) {
    const named = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].indexOf(m[1]!.toLowerCase());
    if (named !== real) return words;
  }
  return null;
}

/**
 * The embargo end of a disclosure, read from its text. Pure: no I/O, the clock is passed in.
 *
 * What is read, and what is refused (security teams must not guess):
 * - ISO 8601 date and time, parsed here (not by chrono): 2026-12-03T16:00:00Z, 2026-12-03 16:00 UTC,
 *   2026-12-03T16:00+01:00, 2026-12-03 16:00 -0500, with optional seconds, fraction and am/pm.
 * - Written forms, parsed by chrono-node's strict English parser: "3 December 2026 16:00 UTC",
 *   "Dec 3, 2026 4pm UTC", "Thursday, December 3rd 2026 at 16:00 UTC". The year must be written;
 *   relative or casual words ("tomorrow", "next Thursday", "noon", "midnight") are not read.
 * - Numeric day/month forms (12/03/2026, 3.12.2026, 03-12-2026, 12/03) are refused: 03/12 is
 *   3 December in Europe and March 12 in the US. Only year-first numeric dates are read.
 * - A time zone is required. A date-time without one, and a date without a time, are refused.
 * - Zones read: UTC, UT, GMT, Z; numeric offsets (+02:00, +0200, +02, UTC+2, GMT-05:00, up to ±14:00);
 *   and the abbreviations in ZONES below, each a fixed offset. Abbreviations that name two zones
 *   (CST, IST, BST, AST) or a zone whose offset moves (ET, CT, MT, PT), IANA names (Europe/Berlin)
 *   and unknown words are refused. A standard-time name on a summer date ("16:00 CET" in July) or a
 *   summer-time name on a winter date is refused too, since people write "CET" for "Berlin time".
 * - An end equal to now is past; an end exactly maxDays from now is allowed.
 */
import * as chrono from 'chrono-node';

export interface EmbargoEnd {
  end: Date;
  line: string;
}

export type EmbargoProblem =
  | { code: 'EMBARGO_MISSING'; message: string }
  | { code: 'EMBARGO_UNREADABLE'; message: string; line: string }
  | { code: 'EMBARGO_PAST'; message: string; end: Date }
  | { code: 'EMBARGO_TOO_FAR'; message: string; end: Date; maxDays: number }
  | { code: 'EMBARGO_AMBIGUOUS'; message: string; lines: string[] };

export interface EmbargoOptions {
  now: Date;
  maxDays: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Longer lines are quoted shortened, and only this much of a value is read. */
const MAX_SHOWN = 200;
const MAX_VALUE = 300;
/** More distinct embargo lines than this is ambiguous without reading them all. */
const MAX_LINES = 20;

type Rule = 'EU' | 'US';
interface Zone {
  offset: number;
  rule?: Rule;
  summer?: boolean;
  region?: string;
  other?: string;
}

/** Accepted abbreviations, each a fixed offset in minutes; rule/summer say when it is in force. */
const ZONES: Record<string, Zone> = {
  UTC: { offset: 0 },
  UT: { offset: 0 },
  GMT: { offset: 0 },
  Z: { offset: 0 },
  WET: { offset: 0, rule: 'EU', summer: false, region: 'Western Europe', other: 'WEST' },
  WEST: { offset: 60, rule: 'EU', summer: true, region: 'Western Europe', other: 'WET' },
  CET: { offset: 60, rule: 'EU', summer: false, region: 'Central Europe', other: 'CEST' },
  CEST: { offset: 120, rule: 'EU', summer: true, region: 'Central Europe', other: 'CET' },
  EET: { offset: 120, rule: 'EU', summer: false, region: 'Eastern Europe', other: 'EEST' },
  EEST: { offset: 180, rule: 'EU', summer: true, region: 'Eastern Europe', other: 'EET' },
  EST: { offset: -300, rule: 'US', summer: false, region: 'US Eastern', other: 'EDT' },
  EDT: { offset: -240, rule: 'US', summer: true, region: 'US Eastern', other: 'EST' },
  CDT: { offset: -300, rule: 'US', summer: true, region: 'US Central' },
  MDT: { offset: -360, rule: 'US', summer: true, region: 'US Mountain', other: 'MST' },
  // MST is not checked against summer time: Arizona keeps it all year.
  MST: { offset: -420 },
  PST: { offset: -480, rule: 'US', summer: false, region: 'US Pacific', other: 'PDT' },
  PDT: { offset: -420, rule: 'US', summer: true, region: 'US Pacific', other: 'PST' },
  AKST: { offset: -540, rule: 'US', summer: false, region: 'Alaska', other: 'AKDT' },
  AKDT: { offset: -480, rule: 'US', summer: true, region: 'Alaska', other: 'AKST' },
  HST: { offset: -600 },
  JST: { offset: 540 },
  KST: { offset: 540 },
};

/** Upper-case words that are not zones: month and day names, meridiems, small words. */
const NOT_ZONES = new Set([
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'SEPT',
  'OCT',
  'NOV',
  'DEC',
  'JUNE',
  'JULY',
  'MON',
  'TUE',
  'TUES',
  'WED',
  'THU',
  'THUR',
  'THURS',
  'FRI',
  'SAT',
  'SUN',
  'AM',
  'PM',
  'AT',
  'ON',
  'OF',
  'THE',
  'AND',
  'OR',
  'TO',
  'BY',
  'IN',
  'ST',
  'ND',
  'RD',
  'TH',
  'CVE',
  'NOTE',
]);

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

type ZoneReading = { ok: true; offset: number; name: string; zone?: Zone } | { ok: false; name: string };

/** A zone token as written ("UTC", "(CEST)", "+02:00", "UTC-5", "Europe/Berlin"); null when it is no zone. */
function readZone(token: string): ZoneReading | null {
  const t = token.replace(/^\(\s*|\s*\)$/g, '').trim();
  let m = /^(?:UTC|GMT|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t) ?? /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(t);
  if (m) {
    const minutes = Number(m[2]) * 60 + Number(m[3] ?? '0');
    if (Number(m[3] ?? '0') > 59 || minutes > 14 * 60) return { ok: false, name: t };
    return { ok: true, offset: (m[1] === '-' ? -1 : 1) * minutes, name: t };
  }
  if (/^(?:utc|gmt|ut|z)$/i.test(t)) return { ok: true, offset: 0, name: t.toUpperCase() };
  if (t.includes('/')) return { ok: false, name: t };
  m = /^[A-Z]{2,5}$/.exec(t);
  if (!m || NOT_ZONES.has(t)) return null;
  const zone = ZONES[t];
  return zone ? { ok: true, offset: zone.offset, name: t, zone } : { ok: false, name: t };
}

const ZONE_TOKEN = String.raw`\(?\s*(?:(?:UTC|GMT|UT|utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}(?::?\d{2})?|[A-Za-z]+\/[A-Za-z_]+(?:\/[A-Za-z_]+)?|[A-Za-z]{1,5})\s*\)?`;
/** Zone tokens anywhere in a written date (chrono's match): upper-case words, utc/gmt, offsets. */
const ZONES_IN_TEXT =
  /\(?(?:\b(?:UTC|GMT|UT|utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?|\b[Uu][Tt][Cc]\b|\b[Gg][Mm][Tt]\b|(?<=\d)Z\b|(?<=[\s\d])[+-]\d{2}(?::?\d{2})?\b|\b[A-Z]{2,5}\b|\b[A-Za-z]+\/[A-Za-z_]+(?:\/[A-Za-z_]+)?)\)?/g;
/** Year-first date, a time, optional am/pm and an optional zone token. */
const ISO = new RegExp(
  String.raw`(?<![\d/-])(\d{4})([-/])(\d{2})\2(\d{2})(?:T|,?\s+(?:at\s+)?)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?` +
    String.raw`(?:\s*([AaPp])\.?[Mm]\.?(?![A-Za-z]))?(?:\s*(${ZONE_TOKEN})(?![\w/:+-]))?`,
  'g',
);
/** Numeric dates whose day and month order is not known. */
const NUMERIC_DM =
  /(?<![\d/.-])(?:\d{1,2}([./-])\d{1,2}\1\d{4}|\d{1,2}\/\d{1,2}\/\d{2}|\d{1,2}\/\d{1,2})(?!\d|[/.-]\d)/;
const NO_DATE = /^(?:none|n\/?a|tbd|tba|tbc|unknown|not set|no embargo|-+|\?+)(?!\w)/i;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** "2026-12-03 16:00 UTC" ("...:SS UTC" when the seconds are not zero): how the daemon writes an embargo end. */
export function formatUtc(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('formatUtc: invalid date');
  const secs = d.getUTCSeconds() === 0 ? '' : `:${pad(d.getUTCSeconds())}`;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${secs} UTC`
  );
}

function formatOffset(minutes: number): string {
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Text from a mail, fit to stand in quotes inside one sentence. */
function shown(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_SHOWN ? `${flat.slice(0, MAX_SHOWN - 1)}…` : flat;
}

/** A plausible future end for the examples in messages: about a week (at most maxDays) ahead, on the hour. */
function exampleEnd(opts: EmbargoOptions): string {
  const ahead = Math.max(0, Math.min(7 * DAY, opts.maxDays * DAY));
  let t = Math.floor((opts.now.getTime() + ahead) / (60 * MINUTE)) * 60 * MINUTE;
  if (t <= opts.now.getTime()) t += 60 * MINUTE;
  return formatUtc(new Date(t));
}

/** Start and end (UTC ms) of summer time in `year` under a rule (EU since 1996, US since 2007); for US, in a zone whose standard offset is `std`. */
function summerTime(rule: Rule, year: number, std: number): [number, number] {
  const sunday = (month: number, nth: number): number => {
    if (nth > 0) {
      const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
      return 1 + ((7 - first) % 7) + 7 * (nth - 1);
    }
    const last = new Date(Date.UTC(year, month + 1, 0));
    return last.getUTCDate() - last.getUTCDay();
  };
  if (rule === 'EU') return [Date.UTC(year, 2, sunday(2, -1), 1), Date.UTC(year, 9, sunday(9, -1), 1)];
  return [
    Date.UTC(year, 2, sunday(2, 2), 2) - std * MINUTE,
    Date.UTC(year, 10, sunday(10, 1), 2) - (std + 60) * MINUTE,
  ];
}

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

const ymd = (p: Pick<Parts, 'y' | 'mo' | 'd'>): string => `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}`;
const hm = (p: Parts): string => `${pad(p.h)}:${pad(p.mi)}`;

/** The instant of wall-clock parts at an offset, or null when the parts are no real date and time. */
function instant(p: Parts, offset: number): Date | null {
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > 31 || p.h > 23 || p.mi > 59 || p.s > 59) return null;
  const t = new Date(0);
  t.setUTCFullYear(p.y, p.mo - 1, p.d);
  if (t.getUTCFullYear() !== p.y || t.getUTCMonth() !== p.mo - 1 || t.getUTCDate() !== p.d) return null;
  t.setUTCHours(p.h, p.mi, p.s, p.ms);
  return new Date(t.getTime() - offset * MINUTE);
}

/** One date the value mentions: complete (an instant) or not (and why not). */
type Mention = { text: string; day: string; end: Date } | { text: string; day: string; problem: string };

/** Reads one value ("2026-12-03 16:00 UTC", "Dec 3, 2026 4pm UTC"); `subject` starts each message. */
function readValue(
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

  const mentions: Mention[] = [];
  let timeOnly: string | null = null;
  const zoneProblem = (z: ZoneReading, p: Parts): string =>
    `${subject} names the time zone "${shown(z.name)}", which is ambiguous or not known here; use UTC or a numeric offset, e.g. "${ymd(p)} ${hm(p)} UTC".`;
  const withZone = (text: string, p: Parts, z: ZoneReading | null): Mention => {
    const day = ymd(p);
    if (!z)
      return { text, day, problem: `${subject} gives no time zone; say the time zone, e.g. "${day} ${hm(p)} UTC".` };
    if (!z.ok) return { text, day, problem: zoneProblem(z, p) };
    const end = instant(p, z.offset);
    if (!end)
      return {
        text,
        day,
        problem: `${subject} gives "${shown(text)}", which is not a real date and time; write it in ISO 8601, e.g. "${example}".`,
      };
    const zone = z.zone;
    if (zone?.rule !== undefined) {
      const [from, to] = summerTime(zone.rule, p.y, zone.summer ? zone.offset - 60 : zone.offset);
      const summer = end.getTime() >= from && end.getTime() < to;
      if (summer !== zone.summer) {
        const actual = zone.offset + (summer ? 60 : -60);
        const other = zone.other ? `${zone.other} or ` : '';
        return {
          text,
          day,
          problem: `${subject} says ${z.name}, but ${zone.region} is on ${summer ? 'summer' : 'standard'} time then (${formatOffset(actual)}); write ${other}the offset, e.g. "${day} ${hm(p)} ${formatOffset(actual)}".`,
        };
      }
    }
    return { text, day, end };
  };

  // ISO 8601 (and year-first with slashes), parsed here; the spans are hidden from chrono.
  let rest = value;
  for (const m of value.matchAll(ISO)) {
    let h = Number(m[5]);
    if (m[9] !== undefined) {
      if (h < 1 || h > 12)
        h = 99; // "16:00 pm" is no time
      else h = (h % 12) + (/p/i.test(m[9]) ? 12 : 0);
    }
    const p: Parts = {
      y: Number(m[1]),
      mo: Number(m[3]),
      d: Number(m[4]),
      h,
      mi: Number(m[6]),
      s: Number(m[7] ?? '0'),
      ms: Math.floor(Number(`0.${m[8] ?? '0'}`) * 1000),
    };
    mentions.push(withZone(m[0], p, m[10] === undefined ? null : readZone(m[10])));
    rest = rest.slice(0, m.index) + ' '.repeat(m[0].length) + rest.slice(m.index + m[0].length);
  }

  // Written forms, parsed by chrono. A numeric offset after a time is given a "UTC" prefix first:
  // chrono reads "16:00 -05:00" as a range.
  const written = rest.replace(/(\d(?:\s*[ap]\.?m\.?)?)\s+([+-]\d{2}(?::?\d{2})?)(?![\d:])/gi, '$1 UTC$2');
  for (const r of chrono.strict.parse(written, { instant: new Date(0), timezone: 0 })) {
    const c = r.start;
    if ([...r.tags()].some((t) => /^(?:result\/relative|casualReference)/.test(t))) {
      return fail(`${subject} gives "${shown(r.text)}", which is relative; write the full date, e.g. "${example}".`);
    }
    if (!(c.isCertain('year') && c.isCertain('month') && c.isCertain('day') && /\b\d{4}\b/.test(r.text))) {
      if (c.isCertain('day') && c.isCertain('month')) {
        const day = `*-${pad(c.get('month') ?? 0)}-${pad(c.get('day') ?? 0)}`;
        mentions.push({
          text: r.text,
          day,
          problem: `${subject} gives "${shown(r.text)}" without a year; write the full date, e.g. "${example}".`,
        });
      } else {
        timeOnly ??= r.text;
      }
      continue; // a bare weekday or time beside a full date, e.g. "(17:00 CET)" or "(Thursday)"
    }
    const p: Parts = {
      y: c.get('year') ?? 0,
      mo: c.get('month') ?? 0,
      d: c.get('day') ?? 0,
      h: c.get('hour') ?? 0,
      mi: c.get('minute') ?? 0,
      s: c.get('second') ?? 0,
      ms: c.get('millisecond') ?? 0,
    };
    if (r.end)
      return fail(`${subject} reads as a range of times ("${shown(r.text)}"); give a single end, e.g. "${example}".`);
    const weekday = c.get('weekday');
    const real = new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDay();
    if (c.isCertain('weekday') && weekday !== null && weekday !== real) {
      return fail(
        `${subject} says ${WEEKDAYS[weekday] ?? 'a weekday'}, but ${ymd(p)} is a ${WEEKDAYS[real]}; check the date and write it in ISO 8601, e.g. "${example}".`,
      );
    }
    if (!c.isCertain('hour')) {
      mentions.push({
        text: r.text,
        day: ymd(p),
        problem: `${subject} gives a date but no time; add a time and a time zone, e.g. "${ymd(p)} 16:00 UTC".`,
      });
      continue;
    }
    const tokens = [...r.text.matchAll(ZONES_IN_TEXT)]
      .map((t) => readZone(t[0]))
      .filter((z): z is ZoneReading => z !== null);
    let zone: ZoneReading | null = tokens[tokens.length - 1] ?? null;
    if (c.isCertain('timezoneOffset') && !zone) zone = { ok: false, name: r.text };
    if (!c.isCertain('timezoneOffset') && zone?.ok) zone = null; // never trust a zone chrono did not read as one
    if (!zone) {
      const after = new RegExp(String.raw`^\s*(${ZONE_TOKEN})(?![\w/:+-])`).exec(
        written.slice(r.index + r.text.length),
      );
      zone = after?.[1] === undefined ? null : readZone(after[1]);
    }
    mentions.push(withZone(r.text, p, zone));
  }

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
  if (timeOnly !== null)
    return fail(
      `${subject} gives "${shown(timeOnly)}" but no full date; write the date with its year, e.g. "${example}".`,
    );
  return fail(`${subject} holds no date that can be read; write it in ISO 8601, e.g. "${example}".`);
}

/** At most MAX_VALUE characters, cut at a space so that no date or zone is cut in half. */
function cut(value: string): string {
  if (value.length <= MAX_VALUE) return value;
  const head = value.slice(0, MAX_VALUE);
  const space = head.lastIndexOf(' ');
  return space > 0 ? head.slice(0, space) : head;
}

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

const BULLET = /^\s*(?:[-*+•]\s+|#{1,6}\s+)?[*_]{0,3}\s*/;
const LABEL =
  /^(embargo(?:ed)?(?:\s+(?:until|till|end(?:s|\s+date)?|date|lifts?|expires?))?|public\s+disclosure(?:\s+date)?|disclosure\s+date)[*_]{0,3}\s*:[*_]{0,3}\s*(.*)$/i;
const UNTIL = /\bembargo(?:ed)?\s+(?:until|till)\b[*_]{0,3}\s*:?[*_]{0,3}\s*(.*)$/i;

/** The embargo lines of a text (not quoted ones): the line as written and the value after its label. */
function embargoLines(text: string): { line: string; value: string }[] {
  const found = new Map<string, string>();
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (/^\s*>/.test(raw)) continue;
    const body = raw.replace(BULLET, '');
    const m = LABEL.exec(body) ?? UNTIL.exec(body);
    if (!m) continue;
    const line = shown(raw);
    if (!found.has(line)) found.set(line, m[m.length - 1] ?? '');
    if (found.size > MAX_LINES) break;
  }
  return [...found].map(([line, value]) => ({ line, value }));
}

/**
 * Finds the embargo end in a disclosure's text: "Embargo: 2026-12-03 16:00 UTC", "Embargo until: ...",
 * "Embargoed until ..." (anywhere in a line), "Public disclosure (date): ...", "Disclosure date: ...",
 * case-insensitive, with Markdown bold or a list bullet, not in quoted (">") lines. Lines that give
 * the same instant agree; lines that give different instants are EMBARGO_AMBIGUOUS, and one that
 * cannot be read makes the whole text EMBARGO_UNREADABLE (fail closed).
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

/**
 * "Upstream: yes" / "Upstream notice: yes|true" on a line of its own (not quoted, bold and bullets
 * allowed): the post is an upstream notice. A "no"/"false" line anywhere makes it not one.
 */
export function isUpstreamNotice(text: string): boolean {
  let yes = false;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (/^\s*>/.test(raw)) continue;
    const m = /^upstream(?:\s+notice)?[*_]{0,3}\s*:[*_]{0,3}\s*(yes|true|no|false)[*_]{0,3}\s*[.!]?\s*$/i.exec(
      raw.replace(BULLET, ''),
    );
    if (!m) continue;
    if (/^(?:no|false)$/i.test(m[1]!)) return false;
    yes = true;
  }
  return yes;
}

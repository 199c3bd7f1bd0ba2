/**
 * A value made ready to read: Unicode look-alikes made plain (or refused), "noon" written as 12:00,
 * times without a colon ("1200UTC", "1800 UTC") given one, and what makes a reading only a
 * proposal taken out and remembered: an approximate time ("around 15:00 UTC"), a window
 * ("between 13:00-17:00 UTC", "1300-1700 UTC": its end is kept) and "12:00 AM" (the midnight that
 * ends the day is kept, the later of its two readings). "24:00" is read as the end of its day.
 */
import { pad, shown } from './format';

export interface Normalised {
  value: string;
  /** Set when the value is approximate ("around 15:00 UTC"): the words, as written. */
  approx: string | null;
  /** Set when the value gives a window of times: the window, as written. */
  window: string | null;
  /** Set when the value says "12:00 AM": as written. */
  midnight12: string | null;
  /** Indexes in `value` of a time that was "24:00": the reading that holds one is the next day's 00:00. */
  dayAfter: number[];
}

/** Direction marks: what the mail shows is not the order of what it says. */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
/** Invisible characters with no meaning in a date: dropped. */
const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;
const DASHES = /[\u2010-\u2015\u2212\uFE58\uFE63]/g;
const COLONS = /[\u02F8\u2236\uA789\uFE13\uFE55]/g;
/** Fullwidth ASCII (U+FF01..U+FF5E): the same characters, wide. */
const FULLWIDTH = /[\uFF01-\uFF5E]/g;
/** Digits that are not ASCII digits after the above: other scripts, superscripts, circled digits. */
const OTHER_DIGITS = /(?![0-9])[\p{Nd}\p{No}]/u;

/** Numeric dates whose day and month order is not known: 12/03/2026, 3.12.2026, 03-12-2026, 12/03/26, 12/03. */
const NUMERIC_DM =
  /(?<![\d/.-])(?:\d{1,2}([./-])\d{1,2}\1\d{4}|\d{1,2}\/\d{1,2}\/\d{2}|\d{1,2}\/\d{1,2})(?!\d|[/.-]\d)/;

/** One time as written in a window: "13:00", "1300", "1pm", "9". */
const TIME_TOKEN = String.raw`\d{1,4}(?::\d{2})?(?:\s*[ap]\.?m\.?(?![a-z]))?`;
const WINDOW = new RegExp(
  String.raw`(?<![\w:/.+-])(?:(between|from)\s+)?(${TIME_TOKEN})(\s*(?:-|to|and|until|till|through)\s*)(${TIME_TOKEN})(?![\d:/-])`,
  'gi',
);
const ZONE_AFTER = /^\s*\(?\s*(?:UTC|GMT|utc|gmt|Z\b|[A-Z]{2,5}\b|[+-]\d{2}(?::?\d{2})?(?![\d/-]))/;
const APPROX = /(?:\b(?:around|approximately|approx\.?|about|roughly|circa|ca\.|some\s*time\s+around)\s+|~\s*)(?=\d)/gi;
const APPROX_AFTER = /(?<=\d)\s*-?ish\b|(?<=\d(?:\s*[ap]\.?m\.?)?(?:\s*[A-Za-z]{1,5})?)\s+or\s+so\b/gi;
/** The time after an approximate word, with its zone, for quoting. */
const APPROX_TIME =
  /^\d{1,4}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s*(?:UTC|GMT|utc|gmt|[A-Z]{1,5}\b|[+-]\d{2}(?::?\d{2})?))?/;
const HHMM =
  /(?<![\w:.+/-])(?!\d{4}[-/]\d{2}[-/]\d{2})([01]\d|2[0-4])([0-5]\d)(?=\s*(?:UTC\b|GMT\b|utc\b|gmt\b|Z\b|[A-Z]{2,5}\b|[+-]\d{2}(?::?\d{2})?(?![\d/-])))/g;
const YEAR = /(?<![\d:])(?:19|20)\d{2}(?![\d:])/g;
const TWELVE_AM = /\b12(?::00)?\s*a\.?m\.?(?![a-z])/gi;
const H24 = /(?<![\d:])24:00(?::00)?(?![\d:])/g;

/** A time token's hour and minute, and whether it is plainly a time (a colon, am/pm or four digits). */
function timeOf(token: string): { h: number; mi: number; meridiem: 'a' | 'p' | null; plain: boolean; hhmm: boolean } {
  const m = /^(\d{1,4})(?::(\d{2}))?\s*(?:([ap])\.?m\.?)?$/i.exec(token.trim())!;
  const digits = m[1]!;
  const hhmm = digits.length === 4 && m[2] === undefined;
  const h = Number(hhmm ? digits.slice(0, 2) : digits);
  const mi = Number(hhmm ? digits.slice(2) : (m[2] ?? '0'));
  const meridiem = (m[3]?.toLowerCase() as 'a' | 'p' | undefined) ?? null;
  return { h, mi, meridiem, plain: m[2] !== undefined || meridiem !== null || hhmm, hhmm };
}

function to24(h: number, meridiem: 'a' | 'p' | null): number {
  if (meridiem === null) return h;
  if (h < 1 || h > 12) return 99;
  return (h % 12) + (meridiem === 'p' ? 12 : 0);
}

/** Makes `raw` ready to read, or says why it cannot be read; `subject` and `example` word the refusal. */
export function normalise(raw: string, subject: string, example: string): Normalised | { message: string } {
  if (BIDI.test(raw))
    return {
      message: `${subject} holds invisible direction marks, so what it shows is not the order of what it says; write the end in plain ISO 8601, e.g. "${example}".`,
    };
  let v = raw
    .replace(INVISIBLE, '')
    .replace(FULLWIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(DASHES, '-')
    .replace(COLONS, ':');
  const other = OTHER_DIGITS.exec(v);
  if (other)
    return {
      message: `${subject} writes "${other[0]}", a digit that is not 0-9; write the end in plain ISO 8601, e.g. "${example}".`,
    };
  const numeric = NUMERIC_DM.exec(v);
  if (numeric)
    return {
      message: `${subject} writes the date as "${numeric[0]}", which Europe and the US read differently (day/month or month/day); write it in ISO 8601, e.g. "${example}".`,
    };
  if (/\bmidnight\b/i.test(v))
    return {
      message: `${subject} says "midnight", which people use for the start of a day and for its end; write the time, e.g. 00:00 or 24:00, as in "${example}".`,
    };
  v = v.replace(/\b(?:12(?::00)?\s*)?noon\b/gi, '12:00');
  // "16:00UTC", "1200UTC": a space between the time and its zone.
  v = v.replace(/(\d)(?=(?:UTC|GMT|utc|gmt|[A-Z]{2,5})\b)/g, '$1 ');

  let window: string | null = null;
  let refused: string | null = null;
  const windows = (
    all: string,
    prefix: string | undefined,
    a: string,
    sep: string,
    b: string,
    offset: number,
    whole: string,
  ): string => {
    const t1 = timeOf(a);
    const t2 = timeOf(b);
    const zoned = ZONE_AFTER.test(whole.slice(offset + all.length));
    if (!t2.plain || !(t1.plain || prefix)) return all;
    // "16:00-05:00" and "16:00 -05:00" are a time and its offset; a dash makes a window only with
    // "between"/"from", spaces on both sides, or a zone after it ("13:00-17:00 UTC").
    if (sep.trim() === '-' && !prefix && !zoned && !/^\s+-\s+$/.test(sep)) return all;
    if ((t1.hhmm || t2.hhmm) && !zoned) return all;
    const h2 = to24(t2.h, t2.meridiem);
    const h1 = to24(t1.h, t1.meridiem ?? t2.meridiem);
    if (h2 > 24 || t2.mi > 59 || h1 > 24 || t1.mi > 59) return all;
    const shownWindow = `${all}${/^\s*\S+/.exec(whole.slice(offset + all.length))?.[0] ?? ''}`;
    if (h2 * 60 + t2.mi <= h1 * 60 + t1.mi) {
      refused ??= `${subject} gives the window "${shown(shownWindow)}", which runs past midnight or backwards; give a single end, e.g. "${example}".`;
      return all;
    }
    window ??= shownWindow;
    return `${pad(h2)}:${pad(t2.mi)}`;
  };
  v = v.replace(WINDOW, windows);
  if (refused) return { message: refused };

  let approx: string | null = null;
  const approxAt = (all: string, offset: number, whole: string): string => {
    approx ??= `${all}${APPROX_TIME.exec(whole.slice(offset + all.length))?.[0] ?? ''}`.trim();
    return '';
  };
  v = v.replace(APPROX, approxAt);
  v = v.replace(APPROX_AFTER, (all: string, offset: number, whole: string) => {
    approx ??= `${whole.slice(Math.max(0, offset - 12), offset)}${all}`.trim();
    return '';
  });

  // "1800 UTC": four digits before a zone are a time only when the value writes its year elsewhere.
  v = v.replace(HHMM, (all: string, h: string, mi: string, offset: number, whole: string) => {
    const years = [...whole.matchAll(YEAR)].filter((y) => y.index !== offset);
    return years.length > 0 || /\bat\s+$/i.test(whole.slice(0, offset)) ? `${h}:${mi}` : all;
  });

  let midnight12: string | null = null;
  v = v.replace(TWELVE_AM, (all: string) => {
    midnight12 ??= all;
    return '24:00';
  });
  const dayAfter: number[] = [];
  v = v.replace(H24, (all: string, offset: number) => {
    dayAfter.push(offset);
    return all.replace('24', '00');
  });
  return { value: v, approx, window, midnight12, dayAfter };
}

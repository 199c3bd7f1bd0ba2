/** How the embargo reader writes times and quotes mail text back in its messages. */
import type { EmbargoOptions } from './types';

export const MINUTE = 60_000;
export const DAY = 86_400_000;
/** Longer lines are quoted shortened. */
const MAX_SHOWN = 200;

export const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** "2026-12-03 16:00 UTC" ("...:SS UTC" when the seconds are not zero): how the daemon writes an embargo end. */
export function formatUtc(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('formatUtc: invalid date');
  const secs = d.getUTCSeconds() === 0 ? '' : `:${pad(d.getUTCSeconds())}`;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${secs} UTC`
  );
}

/** An offset in minutes as "+02:00" / "-05:00". */
export function formatOffset(minutes: number): string {
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Text from a mail, fit to stand in quotes inside one sentence. */
export function shown(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_SHOWN ? `${flat.slice(0, MAX_SHOWN - 1)}…` : flat;
}

/** A plausible future end for the examples in messages: about a week (at most maxDays) ahead, on the hour. */
export function exampleEnd(opts: EmbargoOptions): string {
  const ahead = Math.max(0, Math.min(7 * DAY, opts.maxDays * DAY));
  let t = Math.floor((opts.now.getTime() + ahead) / (60 * MINUTE)) * 60 * MINUTE;
  if (t <= opts.now.getTime()) t += 60 * MINUTE;
  return formatUtc(new Date(t));
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "2026-12-10T17:00Z" ("...:SSZ" when the seconds are not zero): the end as a moderator sends it back after EMBARGO. */
export function formatKeyword(d: Date): string {
  const secs = d.getUTCSeconds() === 0 ? '' : `:${pad(d.getUTCSeconds())}`;
  return `${d.toISOString().slice(0, 16)}${secs}Z`;
}

/** "Thursday 10 December 2026, 17:00 UTC": the end in words. */
export function formatWords(d: Date): string {
  const secs = d.getUTCSeconds() === 0 ? '' : `:${pad(d.getUTCSeconds())}`;
  return (
    `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${secs} UTC`
  );
}

/** Year-first ISO 8601 date-times ("2026-12-03T16:00:00Z", "2026/12/03 4:00 pm UTC"), parsed here rather than by chrono. */
import type { Reading } from './mention';
import { readZone, ZONE_TOKEN } from './zones';

const WEEKDAY = /^(sun|mon|tue|wed|thu|fri|sat)/i;

/** An optional weekday, a year-first date, a time, optional am/pm and an optional zone token. */
const ISO = new RegExp(
  String.raw`(?:\b((?:sun|mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?)(?:day)?)\.?,?\s+)?` +
    String.raw`(?<![\d/-])(\d{4})([-/])(\d{2})\3(\d{2})(?:T|,?\s+(?:at\s+)?)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?` +
    String.raw`(?:\s*([AaPp])\.?[Mm]\.?(?![A-Za-z]))?(?:\s*(${ZONE_TOKEN})(?![\w/:+-]))?`,
  'gi',
);

/** The ISO readings of `value`, and `value` with their spans blanked out (so chrono does not read them again). */
export function isoReadings(value: string): { readings: Reading[]; rest: string } {
  const readings: Reading[] = [];
  let rest = value;
  for (const m of value.matchAll(ISO)) {
    let h = Number(m[6]);
    if (m[10] !== undefined) {
      if (h < 1 || h > 12)
        h = 99; // "16:00 pm" is no time
      else h = (h % 12) + (/p/i.test(m[10]) ? 12 : 0);
    }
    const wd = m[1] === undefined ? null : WEEKDAY.exec(m[1]);
    readings.push({
      text: m[0],
      index: m.index,
      date: {
        y: Number(m[2]),
        mo: Number(m[4]),
        d: Number(m[5]),
        weekday: wd ? ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].indexOf(wd[1]!.toLowerCase()) : null,
      },
      time: { h, mi: Number(m[7]), s: Number(m[8] ?? '0'), ms: Math.floor(Number(`0.${m[9] ?? '0'}`) * 1000) },
      zone: m[11] === undefined ? null : readZone(m[11]),
    });
    rest = rest.slice(0, m.index) + ' '.repeat(m[0].length) + rest.slice(m.index + m[0].length);
  }
  return { readings, rest };
}

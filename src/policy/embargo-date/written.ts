/**
 * Written English dates ("3 December 2026 16:00 UTC", "Dec 3, 2026 4pm UTC", "Thursday, December
 * 3rd 2026 at 16:00 UTC"), parsed by chrono-node's strict parser, as readings: a date (its year
 * only when written), a time, a zone. Relative or casual words and ranges are refused.
 */
import type * as chrono from 'chrono-node/en';
import { shown } from './format';
import type { Reading, Say } from './mention';
import { readZone, ZONE_TOKEN, ZONES_IN_TEXT, type ZoneReading } from './zones';

/** chrono-node's English parsers only (not its other locales), loaded on first use: some 7 MB and 150 ms the daemon's start does without. */
let chronoEn: typeof chrono | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const strictParser = () => (chronoEn ??= require('chrono-node/en') as typeof chrono).strict;

export type Written = { ok: true; readings: Reading[] } | { ok: false; message: string };

/** The zone of chrono's result `r` in `written`: a token chrono read as one, or one right after its match. */
function zoneOf(r: chrono.ParsedResult, written: string): ZoneReading | null {
  // The dashes of a year-first date ("on 2026-03-12") are no offsets.
  const tokens = [...r.text.replace(/\d{4}([-/])\d{1,2}\1\d{1,2}/g, ' ').matchAll(ZONES_IN_TEXT)]
    .map((t) => readZone(t[0]))
    .filter((z): z is ZoneReading => z !== null);
  let zone: ZoneReading | null = tokens[tokens.length - 1] ?? null;
  if (r.start.isCertain('timezoneOffset') && !zone) zone = { ok: false, name: r.text };
  if (!r.start.isCertain('timezoneOffset') && zone?.ok) zone = null; // never trust a zone chrono did not read as one
  if (!zone) {
    const after = new RegExp(String.raw`^\s*(${ZONE_TOKEN})(?![\w/:+-])`).exec(written.slice(r.index + r.text.length));
    zone = after?.[1] === undefined ? null : readZone(after[1]);
  }
  return zone;
}

/** The written readings of `rest` (ISO spans already blanked), or the first refusal. */
export function writtenReadings(rest: string, say: Say): Written {
  const { subject, example } = say;
  const fail = (message: string) => ({ ok: false as const, message });
  const readings: Reading[] = [];
  // A numeric offset after a time is given a "UTC" prefix first: chrono reads "16:00 -05:00" as a range.
  // The prefix is as long as what it replaces is not: indexes shift, so they are mapped back.
  const written = rest.replace(/(\d(?:\s*[ap]\.?m\.?)?)\s+([+-]\d{2}(?::?\d{2})?)(?![\d:])/gi, '$1 UTC$2');
  const shift = (index: number): number => {
    let extra = 0;
    for (const m of rest.matchAll(/(\d(?:\s*[ap]\.?m\.?)?)\s+([+-]\d{2}(?::?\d{2})?)(?![\d:])/gi)) {
      if (m.index + extra < index) extra += 3;
    }
    return index - extra;
  };
  for (const r of strictParser().parse(written, { instant: new Date(0), timezone: 0 })) {
    const c = r.start;
    if ([...r.tags()].some((t) => /^(?:result\/relative|casualReference)/.test(t))) {
      return fail(`${subject} gives "${shown(r.text)}", which is relative; write the full date, e.g. "${example}".`);
    }
    if (r.end)
      return fail(`${subject} reads as a range of times ("${shown(r.text)}"); give a single end, e.g. "${example}".`);
    const hasDay = c.isCertain('day') && c.isCertain('month');
    const hasYear = hasDay && c.isCertain('year') && /\b\d{4}\b/.test(r.text);
    const hasTime = c.isCertain('hour');
    if (!hasDay && !hasTime) continue; // a bare weekday beside a date, e.g. "(Thursday)"
    readings.push({
      text: r.text,
      index: shift(r.index),
      date: hasDay
        ? {
            y: hasYear ? (c.get('year') ?? 0) : null,
            mo: c.get('month') ?? 0,
            d: c.get('day') ?? 0,
            weekday: c.isCertain('weekday') ? (c.get('weekday') ?? null) : null,
          }
        : null,
      time: hasTime
        ? { h: c.get('hour') ?? 0, mi: c.get('minute') ?? 0, s: c.get('second') ?? 0, ms: c.get('millisecond') ?? 0 }
        : null,
      zone: hasTime ? zoneOf(r, written) : null,
    });
  }
  return { ok: true, readings };
}

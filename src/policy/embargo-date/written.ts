/**
 * Written English dates ("3 December 2026 16:00 UTC", "Dec 3, 2026 4pm UTC", "Thursday, December
 * 3rd 2026 at 16:00 UTC"), parsed by chrono-node's strict parser. The year must be written; relative
 * or casual words are refused, and so is a weekday that is not the date's.
 */
import type * as chrono from 'chrono-node/en';
import { pad, shown } from './format';
import { mention, ymd, type Mention, type Parts, type Say } from './mention';
import { readZone, ZONE_TOKEN, ZONES_IN_TEXT, type ZoneReading } from './zones';

/** chrono-node's English parsers only (not its other locales), loaded on first use: some 7 MB and 150 ms the daemon's start does without. */
let chronoEn: typeof chrono | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const strictParser = () => (chronoEn ??= require('chrono-node/en') as typeof chrono).strict;

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export type Written = { ok: true; mentions: Mention[]; timeOnly: string | null } | { ok: false; message: string };

/** The zone of chrono's result `r` in `written`: a token chrono read as one, or one right after its match. */
function zoneOf(r: chrono.ParsedResult, written: string): ZoneReading | null {
  const tokens = [...r.text.matchAll(ZONES_IN_TEXT)]
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

/** The written mentions of `rest` (ISO spans already blanked), a bare time seen, or the first refusal. */
export function writtenMentions(rest: string, say: Say): Written {
  const { subject, example } = say;
  const fail = (message: string) => ({ ok: false as const, message });
  const mentions: Mention[] = [];
  let timeOnly: string | null = null;
  // A numeric offset after a time is given a "UTC" prefix first: chrono reads "16:00 -05:00" as a range.
  const written = rest.replace(/(\d(?:\s*[ap]\.?m\.?)?)\s+([+-]\d{2}(?::?\d{2})?)(?![\d:])/gi, '$1 UTC$2');
  for (const r of strictParser().parse(written, { instant: new Date(0), timezone: 0 })) {
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
    mentions.push(mention(r.text, p, zoneOf(r, written), say));
  }
  return { ok: true, mentions, timeOnly };
}

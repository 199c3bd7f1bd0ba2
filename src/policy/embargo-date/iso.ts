/** Year-first ISO 8601 date-times ("2026-12-03T16:00:00Z", "2026/12/03 4:00 pm UTC"), parsed here rather than by chrono. */
import { mention, type Mention, type Parts, type Say } from './mention';
import { readZone, ZONE_TOKEN } from './zones';

/** Year-first date, a time, optional am/pm and an optional zone token. */
const ISO = new RegExp(
  String.raw`(?<![\d/-])(\d{4})([-/])(\d{2})\2(\d{2})(?:T|,?\s+(?:at\s+)?)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?` +
    String.raw`(?:\s*([AaPp])\.?[Mm]\.?(?![A-Za-z]))?(?:\s*(${ZONE_TOKEN})(?![\w/:+-]))?`,
  'g',
);

/** The ISO mentions of `value`, and `value` with their spans blanked out (so chrono does not read them again). */
export function isoMentions(value: string, say: Say): { mentions: Mention[]; rest: string } {
  const mentions: Mention[] = [];
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
    mentions.push(mention(m[0], p, m[10] === undefined ? null : readZone(m[10]), say));
    rest = rest.slice(0, m.index) + ' '.repeat(m[0].length) + rest.slice(m.index + m[0].length);
  }
  return { mentions, rest };
}

/** Time zones as written beside an embargo end: which are read (each a fixed offset) and which are refused. */
import { seasonMismatch } from './summer-time';
import type { Zone } from './types';

export type { Rule, Zone } from './types';

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
const NOT_ZONES = new Set(
  [
    'JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JUNE JULY',
    'MON TUE TUES WED THU THUR THURS FRI SAT SUN',
    'AM PM AT ON OF THE AND OR TO BY IN ST ND RD TH CVE NOTE',
  ]
    .join(' ')
    .split(' '),
);

export type ZoneReading = { ok: true; offset: number; name: string; zone?: Zone } | { ok: false; name: string };

/** A zone token as written ("UTC", "(CEST)", "+02:00", "UTC-5", "Europe/Berlin"); null when it is no zone. */
export function readZone(token: string): ZoneReading | null {
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

/** One zone token right after a time: an offset, utc/gmt with an offset, an IANA name or a word. */
export const ZONE_TOKEN = String.raw`\(?\s*(?:(?:UTC|GMT|UT|utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}(?::?\d{2})?|[A-Za-z]+\/[A-Za-z_]+(?:\/[A-Za-z_]+)?|[A-Za-z]{1,5})\s*\)?`;
/** Zone tokens anywhere in a written date (chrono's match): upper-case words, utc/gmt, offsets. */
export const ZONES_IN_TEXT =
  /\(?(?:\b(?:UTC|GMT|UT|utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?|\b[Uu][Tt][Cc]\b|\b[Gg][Mm][Tt]\b|(?<=\d)Z\b|(?<=[\s\d])[+-]\d{2}(?::?\d{2})?\b|\b[A-Z]{2,5}\b|\b[A-Za-z]+\/[A-Za-z_]+(?:\/[A-Za-z_]+)?)\)?/g;

/**
 * Offsets a refused zone name may stand for. Such a name never gives an end; it is only checked
 * against an end read from a clear zone on the same line ("17:00 UTC (10am PT)"). The US zones
 * without a season (ET, CT, MT, PT) stand for the offset in force at that end.
 */
const MAYBE: Record<string, number[]> = {
  CST: [-360, -300, 480],
  IST: [330, 60, 120],
  BST: [60, 360],
  AST: [-240, 180],
};
const US_MOVING: Record<string, number> = { ET: -300, CT: -360, MT: -420, PT: -480 };

/** The offsets a zone reading may stand for at the instant `end`: its own when readable, else those of MAYBE (none for unknown names). */
export function possibleOffsets(z: ZoneReading, end: Date): number[] {
  if (z.ok) return [z.offset];
  const name = z.name.replace(/^\(\s*|\s*\)$/g, '').toUpperCase();
  const std = US_MOVING[name];
  if (std !== undefined) {
    const wrong = seasonMismatch({ offset: std, rule: 'US', summer: false }, end, end.getUTCFullYear());
    return [wrong ? wrong.actual : std];
  }
  return MAYBE[name] ?? [];
}

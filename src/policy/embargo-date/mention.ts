/** One date a value mentions, from its wall-clock parts and zone: an instant, or why it is none. */
import { formatOffset, MINUTE, pad, shown } from './format';
import { seasonMismatch } from './summer-time';
import type { ZoneReading } from './zones';

export interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

/** How the messages of one reading speak: `subject` starts each message, `example` is a good value. */
export interface Say {
  subject: string;
  example: string;
}

/** One date the value mentions: complete (an instant) or not (and why not). */
export type Mention = { text: string; day: string; end: Date } | { text: string; day: string; problem: string };

export const ymd = (p: Pick<Parts, 'y' | 'mo' | 'd'>): string => `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}`;
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

/** The mention `text` with parts `p` in zone `z` (null: none written); fails closed on any doubt. */
export function mention(text: string, p: Parts, z: ZoneReading | null, say: Say): Mention {
  const { subject, example } = say;
  const day = ymd(p);
  if (!z)
    return { text, day, problem: `${subject} gives no time zone; say the time zone, e.g. "${day} ${hm(p)} UTC".` };
  if (!z.ok)
    return {
      text,
      day,
      problem: `${subject} names the time zone "${shown(z.name)}", which is ambiguous or not known here; use UTC or a numeric offset, e.g. "${ymd(p)} ${hm(p)} UTC".`,
    };
  const end = instant(p, z.offset);
  if (!end)
    return {
      text,
      day,
      problem: `${subject} gives "${shown(text)}", which is not a real date and time; write it in ISO 8601, e.g. "${example}".`,
    };
  const zone = z.zone;
  const wrong = zone ? seasonMismatch(zone, end, p.y) : null;
  if (zone && wrong) {
    const other = zone.other ? `${zone.other} or ` : '';
    return {
      text,
      day,
      problem: `${subject} says ${z.name}, but ${zone.region} is on ${wrong.summer ? 'summer' : 'standard'} time then (${formatOffset(wrong.actual)}); write ${other}the offset, e.g. "${day} ${hm(p)} ${formatOffset(wrong.actual)}".`,
    };
  }
  return { text, day, end };
}

/** One date a value mentions, from its wall-clock parts and zone: an instant, or why it is none. */
import { DAY, formatOffset, MINUTE, pad, shown } from './format';
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

/** What the value says at one place: a date (its year when written), a time, a zone; any may be missing. */
export interface Reading {
  text: string;
  index: number;
  date: { y: number | null; mo: number; d: number; weekday: number | null } | null;
  time: { h: number; mi: number; s: number; ms: number } | null;
  zone: ZoneReading | null;
  /** The time was written "24:00": the instant is the next day's 00:00. */
  dayAfter?: boolean;
}

/** One date the value mentions: complete (an instant) or not (and why not). */
export type Mention = { text: string; day: string; end: Date } | { text: string; day: string; problem: string };

export const ymd = (p: Pick<Parts, 'y' | 'mo' | 'd'>): string => `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}`;
export const hm = (p: Pick<Parts, 'h' | 'mi'>): string => `${pad(p.h)}:${pad(p.mi)}`;

/** The instant of wall-clock parts at an offset, or null when the parts are no real date and time. */
function instant(p: Parts, offset: number, dayAfter: boolean): Date | null {
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > 31 || p.h > 23 || p.mi > 59 || p.s > 59) return null;
  if (dayAfter && (p.h !== 0 || p.mi !== 0 || p.s !== 0 || p.ms !== 0)) return null;
  const t = new Date(0);
  t.setUTCFullYear(p.y, p.mo - 1, p.d);
  if (t.getUTCFullYear() !== p.y || t.getUTCMonth() !== p.mo - 1 || t.getUTCDate() !== p.d) return null;
  t.setUTCHours(p.h, p.mi, p.s, p.ms);
  return new Date(t.getTime() - offset * MINUTE + (dayAfter ? DAY : 0));
}

/** The mention `text` with parts `p` in zone `z` (null: none written); fails closed on any doubt. */
export function mention(text: string, p: Parts, z: ZoneReading | null, say: Say, dayAfter = false): Mention {
  const { subject, example } = say;
  const day = ymd(p);
  const time = dayAfter ? '24:00' : hm(p);
  if (!z) return { text, day, problem: `${subject} gives no time zone; say the time zone, e.g. "${day} ${time} UTC".` };
  if (!z.ok)
    return {
      text,
      day,
      problem: `${subject} names the time zone "${shown(z.name)}", which is ambiguous or not known here; use UTC or a numeric offset, e.g. "${day} ${time} UTC".`,
    };
  const end = instant(p, z.offset, dayAfter);
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
      problem: `${subject} says ${z.name}, but ${zone.region} is on ${wrong.summer ? 'summer' : 'standard'} time then (${formatOffset(wrong.actual)}); write ${other}the offset, e.g. "${day} ${time} ${formatOffset(wrong.actual)}".`,
    };
  }
  return { text, day, end };
}

/**
 * Standard and summer time: people write "CET" for "Berlin time", so a standard-time name on a
 * summer date ("16:00 CET" in July), or a summer-time name on a winter date, is a contradiction.
 */
import { MINUTE } from './format';
import type { Rule, Zone } from './types';

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

/**
 * When `zone` names the wrong season for the instant `end` (in `year`): whether it is summer time
 * there then, and the offset actually in force. Null when the name fits, or the zone has no rule.
 */
export function seasonMismatch(zone: Zone, end: Date, year: number): { summer: boolean; actual: number } | null {
  if (zone.rule === undefined) return null;
  const [from, to] = summerTime(zone.rule, year, zone.summer ? zone.offset - 60 : zone.offset);
  const summer = end.getTime() >= from && end.getTime() < to;
  if (summer === zone.summer) return null;
  return { summer, actual: zone.offset + (summer ? 60 : -60) };
}

/** Durations as a person reads them on a page: "2 d 4 h", "3 h 12 min", "in 2 d 4 h", "5 min ago". Pure. */

export function duration(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/** "in 2 d 4 h" for a time to come, "2 d 4 h ago" for a time past. */
export function relative(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  return ms >= 0 ? `in ${duration(ms)}` : `${duration(ms)} ago`;
}

/** "2026-03-10 09:30 UTC". */
export function shortTime(iso: string | null): string {
  if (!iso) return '';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Leak reports and the retrospective each one opens. */
import type { Attribution } from '../policy/leak-attribution';
import { cached, type Db } from './db';

/** How the leaker was found (migrations/0007-leaks-by-member.sql); "unattributed": recorded before leaks were counted per member. */
export type LeakAttributionKind = Attribution | 'unattributed';

export interface LeakRow {
  id: number;
  disclosure_id: number;
  /** The member alias that sent the report. */
  reporter: string;
  /** The reporter's organization when the report came. */
  reporter_organization: string;
  /** The member alias the leak is attributed to; null when the report does not name exactly one member. */
  leaker: string | null;
  leaker_organization: string | null;
  /** What the report wrote after "Leaked by:"; null when it named nobody (the reporter's own leak). */
  leaker_named: string | null;
  /** JSON array of the aliases an ambiguous name matched. */
  leaker_candidates: string | null;
  attribution: LeakAttributionKind;
  what: string | null;
  to_whom: string | null;
  text: string;
  message_id: string | null;
  reported_at: string;
  retro_due: string;
  retro_reminded_at: string | null;
  retro_closed_at: string | null;
  retro_closed_by: string | null;
  retro_summary: string | null;
  removal_proposed_at: string | null;
}

export interface NewLeak {
  disclosureId: number;
  reporter: string;
  reporterOrganization: string;
  leaker: string | null;
  leakerOrganization: string | null;
  leakerNamed: string | null;
  leakerCandidates: string[];
  attribution: Attribution;
  what: string | null;
  toWhom: string | null;
  text: string;
  messageId: string | null;
  retroDue: string;
}

export function insertLeak(db: Db, l: NewLeak, at: string): number {
  const { lastInsertRowid } = cached(
    db,
    `INSERT INTO leaks (disclosure_id, reporter, reporter_organization, leaker, leaker_organization, leaker_named, leaker_candidates, attribution,
                        what, to_whom, text, message_id, reported_at, retro_due)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    l.disclosureId,
    l.reporter,
    l.reporterOrganization,
    l.leaker,
    l.leakerOrganization,
    l.leakerNamed,
    l.leakerCandidates.length ? JSON.stringify(l.leakerCandidates) : null,
    l.attribution,
    l.what,
    l.toWhom,
    l.text,
    l.messageId,
    at,
    l.retroDue,
  );
  return Number(lastInsertRowid);
}

export function getLeak(db: Db, id: number): LeakRow | undefined {
  return cached(db, 'SELECT * FROM leaks WHERE id = ?').get(id) as LeakRow | undefined;
}

export function listLeaks(db: Db): LeakRow[] {
  return cached(db, 'SELECT * FROM leaks ORDER BY id DESC').all() as LeakRow[];
}

/**
 * The leaks the member `alias` reported as their own since `since`, oldest first: what counts
 * toward the leak limit. Never by organization name, and never another alias's reports about them.
 */
export function ownLeaksOf(db: Db, alias: string, since: string): LeakRow[] {
  return cached(
    db,
    `SELECT * FROM leaks WHERE attribution = 'self' AND leaker = ? COLLATE NOCASE AND reporter = ? COLLATE NOCASE AND reported_at >= ? ORDER BY id`,
  ).all(alias, alias, since) as LeakRow[];
}

/** The aliases an ambiguous leak's name matched. */
export function leakCandidates(l: LeakRow): string[] {
  if (!l.leaker_candidates) return [];
  const parsed = JSON.parse(l.leaker_candidates) as unknown;
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}

export function closeRetrospective(db: Db, id: number, by: string, summary: string, at: string): boolean {
  return (
    cached(
      db,
      'UPDATE leaks SET retro_closed_at = ?, retro_closed_by = ?, retro_summary = ? WHERE id = ? AND retro_closed_at IS NULL',
    ).run(at, by, summary, id).changes === 1
  );
}

/** Open retrospectives past due, not reminded within the last `every` (ISO time before which a reminder is stale). */
export function retrospectivesDue(db: Db, now: string, remindedBefore: string): LeakRow[] {
  return cached(
    db,
    'SELECT * FROM leaks WHERE retro_closed_at IS NULL AND retro_due <= ? AND (retro_reminded_at IS NULL OR retro_reminded_at <= ?)',
  ).all(now, remindedBefore) as LeakRow[];
}

export function markRetroReminded(db: Db, id: number, at: string): void {
  cached(db, 'UPDATE leaks SET retro_reminded_at = ? WHERE id = ?').run(at, id);
}

export function markRemovalProposed(db: Db, id: number, at: string): void {
  cached(db, 'UPDATE leaks SET removal_proposed_at = ? WHERE id = ?').run(at, id);
}

/** The reporter's open report on this thread that still lacks what leaked or to whom. */
export function openLeakWithMissing(db: Db, disclosureId: number, reporter: string): LeakRow | undefined {
  return cached(
    db,
    'SELECT * FROM leaks WHERE disclosure_id = ? AND reporter = ? AND retro_closed_at IS NULL AND (what IS NULL OR to_whom IS NULL) ORDER BY id DESC LIMIT 1',
  ).get(disclosureId, reporter) as LeakRow | undefined;
}

export function updateLeakDetails(db: Db, id: number, what: string | null, toWhom: string | null, text: string): void {
  cached(db, 'UPDATE leaks SET what = ?, to_whom = ?, text = ? WHERE id = ?').run(what, toWhom, text, id);
}

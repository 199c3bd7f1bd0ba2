/** Leak reports and the retrospective each one opens. */
import type { Db } from './db';

export interface LeakRow {
  id: number;
  disclosure_id: number;
  reporter: string;
  organization: string;
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

export function insertLeak(db: Db, l: { disclosureId: number; reporter: string; organization: string; what: string | null; toWhom: string | null; text: string; messageId: string | null; retroDue: string }, at: string): number {
  const { lastInsertRowid } = db.prepare(
    `INSERT INTO leaks (disclosure_id, reporter, organization, what, to_whom, text, message_id, reported_at, retro_due)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(l.disclosureId, l.reporter, l.organization, l.what, l.toWhom, l.text, l.messageId, at, l.retroDue);
  return Number(lastInsertRowid);
}

export function getLeak(db: Db, id: number): LeakRow | undefined {
  return db.prepare('SELECT * FROM leaks WHERE id = ?').get(id) as LeakRow | undefined;
}

export function listLeaks(db: Db): LeakRow[] {
  return db.prepare('SELECT * FROM leaks ORDER BY id DESC').all() as LeakRow[];
}

/** The organization's leaks reported since `since`, oldest first. */
export function leaksOfOrganization(db: Db, organization: string, since: string): LeakRow[] {
  return db.prepare('SELECT * FROM leaks WHERE organization = ? AND reported_at >= ? ORDER BY id').all(organization, since) as LeakRow[];
}

export function closeRetrospective(db: Db, id: number, by: string, summary: string, at: string): boolean {
  return db.prepare('UPDATE leaks SET retro_closed_at = ?, retro_closed_by = ?, retro_summary = ? WHERE id = ? AND retro_closed_at IS NULL').run(at, by, summary, id).changes === 1;
}

/** Open retrospectives past due, not reminded within the last `every` (ISO time before which a reminder is stale). */
export function retrospectivesDue(db: Db, now: string, remindedBefore: string): LeakRow[] {
  return db.prepare('SELECT * FROM leaks WHERE retro_closed_at IS NULL AND retro_due <= ? AND (retro_reminded_at IS NULL OR retro_reminded_at <= ?)').all(now, remindedBefore) as LeakRow[];
}

export function markRetroReminded(db: Db, id: number, at: string): void {
  db.prepare('UPDATE leaks SET retro_reminded_at = ? WHERE id = ?').run(at, id);
}

export function markRemovalProposed(db: Db, id: number, at: string): void {
  db.prepare('UPDATE leaks SET removal_proposed_at = ? WHERE id = ?').run(at, id);
}

/** The reporter's open report on this thread that still lacks what leaked or to whom. */
export function openLeakWithMissing(db: Db, disclosureId: number, reporter: string): LeakRow | undefined {
  return db.prepare('SELECT * FROM leaks WHERE disclosure_id = ? AND reporter = ? AND retro_closed_at IS NULL AND (what IS NULL OR to_whom IS NULL) ORDER BY id DESC LIMIT 1')
    .get(disclosureId, reporter) as LeakRow | undefined;
}

export function updateLeakDetails(db: Db, id: number, what: string | null, toWhom: string | null, text: string): void {
  db.prepare('UPDATE leaks SET what = ?, to_whom = ?, text = ? WHERE id = ?').run(what, toWhom, text, id);
}

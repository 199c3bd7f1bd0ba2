import crypto from 'node:crypto';
import { cached, type Db } from './db';

export interface MemberRow {
  id: number;
  address: string;
  organization: string;
  status: 'active' | 'removed';
  added_at: string;
  removed_at: string | null;
  verp_token: string | null;
  bounce_score: number;
  bounce_last_at: string | null;
  bounce_last_day: string | null;
  unreachable_at: string | null;
  probed_at: string | null;
  probe_answered_at: string | null;
  policy_affirmed_at: string | null;
}

/** Active members whose last probe (or, never probed, their joining) is older than `before`. */
export function membersToProbe(db: Db, before: string): MemberRow[] {
  return cached(
    db,
    "SELECT * FROM members WHERE status = 'active' AND coalesce(probed_at, added_at) <= ? ORDER BY address",
  ).all(before) as MemberRow[];
}

export function markProbed(db: Db, id: number, at: string): void {
  cached(db, 'UPDATE members SET probed_at = ? WHERE id = ?').run(at, id);
}

export function markProbeAnswered(db: Db, address: string, at: string, affirmed: boolean): void {
  cached(
    db,
    'UPDATE members SET probe_answered_at = ?, policy_affirmed_at = CASE WHEN ? THEN ? ELSE policy_affirmed_at END WHERE address = ?',
  ).run(at, affirmed ? 1 : 0, at, address);
}

/** The member's VERP token (made on first use): random, so that nobody can forge bounces for a guessed address. */
export function verpTokenFor(db: Db, address: string): string | null {
  const m = findMember(db, address);
  if (!m) return null;
  if (m.verp_token) return m.verp_token;
  const token = crypto.randomBytes(8).toString('hex');
  cached(db, 'UPDATE members SET verp_token = ? WHERE id = ?').run(token, m.id);
  return token;
}

export function findMemberByVerp(db: Db, token: string): MemberRow | undefined {
  return cached(db, 'SELECT * FROM members WHERE verp_token = ?').get(token.toLowerCase()) as MemberRow | undefined;
}

export function saveBounceState(
  db: Db,
  id: number,
  s: { score: number; lastBounceAt: string | null; lastDay: string | null },
  unreachableAt: string | null,
): void {
  cached(
    db,
    'UPDATE members SET bounce_score = ?, bounce_last_at = ?, bounce_last_day = ?, unreachable_at = coalesce(unreachable_at, ?) WHERE id = ?',
  ).run(s.score, s.lastBounceAt, s.lastDay, unreachableAt, id);
}

export function findMember(db: Db, address: string): MemberRow | undefined {
  return cached(db, 'SELECT * FROM members WHERE address = ?').get(address) as MemberRow | undefined;
}

export function isActiveMember(db: Db, address: string): boolean {
  return findMember(db, address)?.status === 'active';
}

export function activeMembers(db: Db): MemberRow[] {
  return cached(db, "SELECT * FROM members WHERE status = 'active' ORDER BY address").all() as MemberRow[];
}

export function allMembers(db: Db): MemberRow[] {
  return cached(db, 'SELECT * FROM members ORDER BY status, address').all() as MemberRow[];
}

/** Adds a member, re-activates a removed one, or changes its organization. */
export function upsertMember(
  db: Db,
  address: string,
  organization: string,
  at: string,
): 'added' | 'reactivated' | 'updated' | 'unchanged' {
  const existing = findMember(db, address);
  if (!existing) {
    cached(db, 'INSERT INTO members (address, organization, added_at) VALUES (?, ?, ?)').run(address, organization, at);
    return 'added';
  }
  if (existing.status === 'active' && existing.organization === organization) return 'unchanged';
  cached(db, "UPDATE members SET status = 'active', organization = ?, removed_at = NULL WHERE id = ?").run(
    organization,
    existing.id,
  );
  return existing.status === 'active' ? 'updated' : 'reactivated';
}

export function removeMember(db: Db, address: string, at: string): boolean {
  const r = cached(
    db,
    "UPDATE members SET status = 'removed', removed_at = ? WHERE address = ? AND status = 'active'",
  ).run(at, address);
  return r.changes > 0;
}

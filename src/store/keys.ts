/**
 * The openpgp_keys table: one current public key per member and per moderator (migrations/0012).
 * Addresses compare case-insensitively. Secret keys never reach this table (openpgp/keys refuses them).
 */
import { openpgp, type PublicKey } from '../openpgp/lib';
import { cached, type Db } from './db';
import { normalizeAddress } from '../message/address';
import { keyState, type PublicKeyInfo } from '../openpgp/keys';
import type { AttachedKey, KeyFacts } from '../openpgp/attached-key';

export type KeyOwner = 'member' | 'moderator';

export interface KeyRow {
  id: number;
  owner_kind: KeyOwner;
  address: string;
  fingerprint: string;
  armored: string;
  /** JSON array of strings. */
  user_ids: string;
  created: string;
  expires: string | null;
  revoked: 0 | 1;
  added_at: string;
  added_by: string;
  warned_at: string | null;
  /** Migration 0015: when the moderators were told this member key expired or was revoked (policy required). */
  lapse_moderators_told_at: string | null;
  /** Migration 0015: when the member was told its copies now go out in the clear (policy opportunistic). */
  lapse_member_told_at: string | null;
}

export function findKey(db: Db, owner: KeyOwner, address: string): KeyRow | undefined {
  return cached(db, 'SELECT * FROM openpgp_keys WHERE owner_kind = ? AND address = ?').get(
    owner,
    normalizeAddress(address),
  ) as KeyRow | undefined;
}

export function userIdsOf(row: KeyRow): string[] {
  const parsed: unknown = JSON.parse(row.user_ids);
  return Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === 'string') : [];
}

/** fingerprint, armored, user_ids, created, expires: the columns every table of keys stores. */
function keyColumns(k: Omit<PublicKeyInfo, 'key'>): [string, string, string, string, string | null] {
  return [
    k.fingerprint,
    k.armored,
    JSON.stringify(k.userIds),
    k.created.toISOString(),
    k.expires?.toISOString() ?? null,
  ];
}

/** Stores `info` as the owner's current key, replacing any other; returns the row it replaced. */
export function putKey(
  db: Db,
  owner: KeyOwner,
  address: string,
  info: Omit<PublicKeyInfo, 'key'>,
  at: string,
  by: string,
): KeyRow | undefined {
  const previous = findKey(db, owner, address);
  cached(db, 'DELETE FROM openpgp_keys WHERE owner_kind = ? AND address = ?').run(owner, normalizeAddress(address));
  cached(
    db,
    `INSERT INTO openpgp_keys (owner_kind, address, fingerprint, armored, user_ids, created, expires, revoked, added_at, added_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(owner, normalizeAddress(address), ...keyColumns(info), info.revoked ? 1 : 0, at, by);
  return previous;
}

/** Deletes the owner's key; returns the row, or undefined when there was none. */
export function deleteKey(db: Db, owner: KeyOwner, address: string): KeyRow | undefined {
  const row = findKey(db, owner, address);
  if (row) cached(db, 'DELETE FROM openpgp_keys WHERE id = ?').run(row.id);
  return row;
}

/** Keys not revoked that expire after `now` and by `before`, whose holders have not been warned yet. */
export function keysExpiringBy(db: Db, now: string, before: string): KeyRow[] {
  return cached(
    db,
    'SELECT * FROM openpgp_keys WHERE revoked = 0 AND warned_at IS NULL AND expires > ? AND expires <= ? ORDER BY expires',
  ).all(now, before) as KeyRow[];
}

export function markKeyWarned(db: Db, id: number, at: string): void {
  cached(db, 'UPDATE openpgp_keys SET warned_at = ? WHERE id = ?').run(at, id);
}

/** Who was told that a member key lapsed (migration 0015). */
export type LapseTold = 'lapse_moderators_told_at' | 'lapse_member_told_at';

/**
 * Current member keys that are revoked or expired at `now` and whose lapse was not yet told to
 * `told`. Only the current row of each member exists (putKey replaces), so a replaced key is never here.
 */
export function lapsedMemberKeys(db: Db, now: string, told: LapseTold): KeyRow[] {
  return cached(
    db,
    `SELECT * FROM openpgp_keys WHERE owner_kind = 'member' AND ${told} IS NULL
       AND (revoked = 1 OR (expires IS NOT NULL AND expires <= ?)) ORDER BY address`,
  ).all(now) as KeyRow[];
}

export function markKeyLapseTold(db: Db, id: number, told: LapseTold, at: string): void {
  cached(db, `UPDATE openpgp_keys SET ${told} = ? WHERE id = ?`).run(at, id);
}

/**
 * The key to encrypt to `address` at `now`, or null when there is none, or it is expired, revoked
 * or cannot encrypt. Reads only; the stored row is checked first, the key itself after (a
 * subkey's own end, a revocation the row does not know of).
 */
export async function usableKeyFor(
  db: Db,
  address: string,
  now: Date,
  owner: KeyOwner = 'member',
): Promise<PublicKey | null> {
  const row = findKey(db, owner, address);
  if (!row || row.revoked === 1) return null;
  if (row.expires !== null && Date.parse(row.expires) <= now.getTime()) return null;
  let key;
  try {
    key = await openpgp.readKey({ armoredKey: row.armored });
  } catch {
    return null;
  }
  if (key.isPrivate() || key.getFingerprint().toUpperCase() !== row.fingerprint) return null;
  return (await keyState(key, now)) === 'usable' ? (key as PublicKey) : null;
}

/**
 * The member's key row to encrypt to at `now`, from the stored columns alone (synchronous, for use
 * inside a transaction): not revoked and not expired. A stored key could encrypt when it was added
 * (members key add refuses the others), so the row answers "encryption-capable" too. The deliverer
 * checks the key itself again before it encrypts (usableKeyFor).
 */
export function usableKeyRow(db: Db, address: string, now: Date, owner: KeyOwner = 'member'): KeyRow | null {
  const row = findKey(db, owner, address);
  if (!row || row.revoked === 1) return null;
  if (row.expires !== null && Date.parse(row.expires) <= now.getTime()) return null;
  return row;
}

/** Members already sent only the key-required notice for disclosure `id` (policy.encryption: required). */
export function noticeOnlyMembers(db: Db, disclosure: number): Set<string> {
  const rows = cached(db, 'SELECT address FROM openpgp_notice_only WHERE disclosure = ?')
    .pluck()
    .all(disclosure) as string[];
  return new Set(rows.map((a) => normalizeAddress(a)));
}

export function recordNoticeOnly(db: Db, disclosure: number, address: string, at: string): void {
  cached(db, 'INSERT OR IGNORE INTO openpgp_notice_only (disclosure, address, at) VALUES (?, ?, ?)').run(
    disclosure,
    normalizeAddress(address),
    at,
  );
}

/** A member's key sent by mail, waiting for the member to answer the mail encrypted to it (migration 0016). */
export interface PendingKeyRow {
  token: string;
  address: string;
  fingerprint: string;
  armored: string;
  user_ids: string;
  created: string;
  expires: string | null;
  received_at: string;
  message_id: string | null;
}

export function putPendingKey(
  db: Db,
  token: string,
  address: string,
  key: KeyFacts,
  at: string,
  messageId: string | null,
): void {
  cached(
    db,
    `INSERT INTO openpgp_pending_keys (token, address, fingerprint, armored, user_ids, created, expires, received_at, message_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(token, normalizeAddress(address), ...keyColumns(key), at, messageId);
}

export function getPendingKey(db: Db, token: string): PendingKeyRow | undefined {
  return cached(db, 'SELECT * FROM openpgp_pending_keys WHERE token = ?').get(token) as PendingKeyRow | undefined;
}

/** The key facts a stored row (pending, or a join request's) holds. */
export function factsOf(row: {
  fingerprint: string;
  armored: string;
  user_ids: string;
  created: string;
  expires: string | null;
}): KeyFacts {
  const ids: unknown = JSON.parse(row.user_ids);
  return {
    fingerprint: row.fingerprint,
    armored: row.armored,
    userIds: Array.isArray(ids) ? ids.filter((u): u is string => typeof u === 'string') : [],
    created: new Date(row.created),
    expires: row.expires ? new Date(row.expires) : null,
    revoked: false,
  };
}

/**
 * The key a queued copy to `address` must be encrypted to, `fingerprint` (outbox.encrypt_to), if
 * it can be used at `now`: the member's current key, the moderator's, or a member's key still
 * waiting for confirmation (the confirmation mail itself is encrypted to it). Otherwise the current key or
 * null, and the deliverer refuses the copy (openpgp/outbound: never in the clear).
 */
export async function keyToEncryptTo(
  db: Db,
  address: string,
  fingerprint: string,
  now: Date,
): Promise<PublicKey | null> {
  const current = await usableKeyFor(db, address, now);
  if (current && current.getFingerprint().toUpperCase() === fingerprint.toUpperCase()) return current;
  // A moderator's own mail (actions/send moderatorKeys); an address can be both.
  const moderator = await usableKeyFor(db, address, now, 'moderator');
  if (moderator && moderator.getFingerprint().toUpperCase() === fingerprint.toUpperCase()) return moderator;
  const pending = cached(
    db,
    `SELECT p.armored FROM openpgp_pending_keys p JOIN tokens t ON t.token = p.token
      WHERE p.address = ? AND p.fingerprint = ? AND t.used_at IS NULL AND t.expires_at > ?`,
  )
    .pluck()
    .get(normalizeAddress(address), fingerprint.toUpperCase(), now.toISOString()) as string | undefined;
  if (pending === undefined) return current ?? moderator;
  try {
    const key = await openpgp.readKey({ armoredKey: pending });
    if (
      !key.isPrivate() &&
      key.getFingerprint().toUpperCase() === fingerprint.toUpperCase() &&
      (await keyState(key, now)) === 'usable'
    )
      return key as PublicKey;
  } catch {
    // unreadable: as if there were none
  }
  return current ?? moderator;
}

/** The key a join request carried, or why it was refused (migration 0016). */
export interface RequestKeyRow {
  request_id: number;
  fingerprint: string | null;
  armored: string | null;
  user_ids: string | null;
  created: string | null;
  expires: string | null;
  problem_code: string | null;
  problem_message: string | null;
}

export function putRequestKey(db: Db, requestId: number, attached: AttachedKey): void {
  const k = attached.state === 'key' ? attached.key : null;
  cached(
    db,
    `INSERT OR REPLACE INTO request_keys (request_id, fingerprint, armored, user_ids, created, expires, problem_code, problem_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    requestId,
    k?.fingerprint ?? (attached.state === 'refused' ? attached.fingerprint : null),
    k?.armored ?? null,
    k ? JSON.stringify(k.userIds) : null,
    k?.created.toISOString() ?? null,
    k?.expires?.toISOString() ?? null,
    attached.state === 'refused' ? attached.code : null,
    attached.state === 'refused' ? attached.message : null,
  );
}

export function getRequestKey(db: Db, requestId: number): RequestKeyRow | undefined {
  return cached(db, 'SELECT * FROM request_keys WHERE request_id = ?').get(requestId) as RequestKeyRow | undefined;
}

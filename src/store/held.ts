/** The moderation queue: posts not relayed at once, waiting for APPROVE, REJECT or DISCARD. */
import { cached, type Db } from './db';
import { clearOpened } from './inbound';

export type HeldState = 'held' | 'approved' | 'rejected' | 'discarded' | 'expired';

export interface HeldRow {
  inbound_id: number;
  sender: string;
  subject: string;
  message_id: string | null;
  reasons: string;
  relayable: number;
  held_at: string;
  expires_at: string;
  state: HeldState;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

export function insertHeld(
  db: Db,
  h: {
    inboundId: number;
    sender: string;
    subject: string;
    messageId: string | null;
    reasons: string[];
    relayable: boolean;
    expiresAt: string;
  },
  at: string,
): void {
  cached(
    db,
    'INSERT INTO held (inbound_id, sender, subject, message_id, reasons, relayable, held_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(h.inboundId, h.sender, h.subject, h.messageId, JSON.stringify(h.reasons), h.relayable ? 1 : 0, at, h.expiresAt);
}

export function getHeld(db: Db, inboundId: number): HeldRow | undefined {
  return cached(db, 'SELECT * FROM held WHERE inbound_id = ?').get(inboundId) as HeldRow | undefined;
}

export function listHeld(db: Db, all = false): HeldRow[] {
  return cached(
    db,
    `SELECT * FROM held ${all ? '' : "WHERE state = 'held'"} ORDER BY inbound_id DESC`,
  ).all() as HeldRow[];
}

/**
 * Closes a held post; false when it was no longer held (the first decision wins). A decided post
 * is never relayed again, so the decrypted copy kept for APPROVE (inbound.opened_raw) is dropped
 * with it: read it (relayableRaw) before deciding.
 */
export function decideHeld(
  db: Db,
  inboundId: number,
  state: Exclude<HeldState, 'held'>,
  by: string,
  at: string,
  reason: string | null = null,
): boolean {
  const decided =
    cached(
      db,
      "UPDATE held SET state = ?, decided_by = ?, decided_at = ?, reason = ? WHERE inbound_id = ? AND state = 'held'",
    ).run(state, by, at, reason, inboundId).changes === 1;
  if (decided) clearOpened(db, inboundId);
  return decided;
}

export function heldExpiring(db: Db, now: string): HeldRow[] {
  return cached(db, "SELECT * FROM held WHERE state = 'held' AND expires_at <= ?").all(now) as HeldRow[];
}

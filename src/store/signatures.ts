/**
 * OpenPGP signatures that already authenticated a message (migration 0018): a signature is
 * proof for the one message it came with, never for a copy sent again under a new Message-ID.
 */
import { cached, type Db } from './db';

/** Rows are kept this long after use; older signatures never authenticate (policy/sender-auth). */
const KEEP_MS = 9 * 86_400_000;

export function signatureUsed(db: Db, id: string): { inbound_id: number | null; used_at: string } | undefined {
  return cached(db, 'SELECT inbound_id, used_at FROM openpgp_signatures_used WHERE id = ?').get(id) as
    { inbound_id: number | null; used_at: string } | undefined;
}

/** Records the signature as used by `inboundId`; prunes rows no signature could need any more. */
export function recordSignatureUse(
  db: Db,
  use: { id: string; fingerprint: string; signedAt: string | null; inboundId: number | null },
  at: Date,
): void {
  cached(
    db,
    'INSERT OR IGNORE INTO openpgp_signatures_used (id, fingerprint, signed_at, inbound_id, used_at) VALUES (?, ?, ?, ?, ?)',
  ).run(use.id, use.fingerprint, use.signedAt, use.inboundId, at.toISOString());
  cached(db, 'DELETE FROM openpgp_signatures_used WHERE used_at < ?').run(
    new Date(at.getTime() - KEEP_MS).toISOString(),
  );
}

import { cached, type Db } from './db';

export interface Checkpoint {
  mailbox: string;
  uidvalidity: number;
  last_uid: number;
  updated_at: string;
}

export function getCheckpoint(db: Db, mailbox: string): Checkpoint | undefined {
  return cached(db, 'SELECT * FROM imap_checkpoint WHERE mailbox = ?').get(mailbox) as Checkpoint | undefined;
}

/** Records the highest UID seen under a UIDVALIDITY; a new UIDVALIDITY starts again from its UIDs. */
export function saveCheckpoint(db: Db, mailbox: string, uidvalidity: number, lastUid: number, at: string): void {
  cached(
    db,
    `INSERT INTO imap_checkpoint (mailbox, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (mailbox) DO UPDATE SET
       last_uid = CASE WHEN uidvalidity = excluded.uidvalidity THEN max(last_uid, excluded.last_uid) ELSE excluded.last_uid END,
       uidvalidity = excluded.uidvalidity, updated_at = excluded.updated_at`,
  ).run(mailbox, uidvalidity, lastUid, at);
}

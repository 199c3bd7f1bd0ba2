import type { Db } from './db';

export function recordAutoReply(db: Db, recipient: string, at: string): void {
  db.prepare('INSERT INTO auto_replies (recipient, at) VALUES (?, ?)').run(recipient, at);
}

export function autoRepliesSince(db: Db, recipient: string, since: string): number {
  return db
    .prepare('SELECT count(*) FROM auto_replies WHERE recipient = ? AND at > ?')
    .pluck()
    .get(recipient, since) as number;
}

import { cached, type Db } from './db';

export function recordAutoReply(db: Db, recipient: string, at: string): void {
  cached(db, 'INSERT INTO auto_replies (recipient, at) VALUES (?, ?)').run(recipient, at);
}

export function autoRepliesSince(db: Db, recipient: string, since: string): number {
  return cached(db, 'SELECT count(*) FROM auto_replies WHERE recipient = ? AND at > ?')
    .pluck()
    .get(recipient, since) as number;
}

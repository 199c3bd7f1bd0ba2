/** Disclosure threads, the messages that belong to them, and members' receipts. */
import { cached, type Db } from './db';

export interface DisclosureRow {
  id: number;
  subject: string;
  opening_message_id: string | null;
  opened_by: string;
  opened_at: string;
  embargo_end: string | null;
  upstream: number;
  state: 'embargoed' | 'public';
  lift_reminder_at: string | null;
  ack_reminder_at: string | null;
  lifted_at: string | null;
  lifted_by: string | null;
  inbound_id: number | null;
}

export function insertDisclosure(
  db: Db,
  d: {
    subject: string;
    openingMessageId: string | null;
    openedBy: string;
    embargoEnd: string | null;
    upstream: boolean;
    inboundId: number | null;
  },
  at: string,
): number {
  const { lastInsertRowid } = cached(
    db,
    'INSERT INTO disclosures (subject, opening_message_id, opened_by, opened_at, embargo_end, upstream, inbound_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(d.subject, d.openingMessageId, d.openedBy, at, d.embargoEnd, d.upstream ? 1 : 0, d.inboundId);
  return Number(lastInsertRowid);
}

export function getDisclosure(db: Db, id: number): DisclosureRow | undefined {
  return cached(db, 'SELECT * FROM disclosures WHERE id = ?').get(id) as DisclosureRow | undefined;
}

export function listDisclosures(db: Db): DisclosureRow[] {
  return cached(db, 'SELECT * FROM disclosures ORDER BY id DESC').all() as DisclosureRow[];
}

export function addThreadMessage(db: Db, messageId: string | null, disclosureId: number): void {
  if (messageId)
    cached(db, 'INSERT OR IGNORE INTO thread_messages (message_id, disclosure_id) VALUES (?, ?)').run(
      messageId,
      disclosureId,
    );
}

/** The thread a message answers, by the Message-IDs it names. */
export function threadOf(db: Db, messageIds: string[]): DisclosureRow | undefined {
  const stmt = cached(
    db,
    'SELECT d.* FROM thread_messages t JOIN disclosures d ON d.id = t.disclosure_id WHERE t.message_id = ?',
  );
  for (const id of messageIds) {
    const row = stmt.get(id) as DisclosureRow | undefined;
    if (row) return row;
  }
  return undefined;
}

export function setEmbargoEnd(db: Db, id: number, end: string | null): void {
  cached(db, 'UPDATE disclosures SET embargo_end = ?, lift_reminder_at = NULL WHERE id = ?').run(end, id);
}

export function liftDisclosure(db: Db, id: number, by: string, at: string): boolean {
  return (
    cached(
      db,
      "UPDATE disclosures SET state = 'public', lifted_at = ?, lifted_by = ? WHERE id = ? AND state = 'embargoed'",
    ).run(at, by, id).changes === 1
  );
}

export function markLiftReminded(db: Db, id: number, at: string): void {
  cached(db, 'UPDATE disclosures SET lift_reminder_at = ? WHERE id = ?').run(at, id);
}

export function markAckReminded(db: Db, id: number, at: string): void {
  cached(db, 'UPDATE disclosures SET ack_reminder_at = ? WHERE id = ?').run(at, id);
}

/** Embargoed threads whose end is at or before `until`. */
export function embargoesEndingBy(db: Db, until: string): DisclosureRow[] {
  return cached(
    db,
    "SELECT * FROM disclosures WHERE state = 'embargoed' AND embargo_end IS NOT NULL AND embargo_end <= ? ORDER BY embargo_end",
  ).all(until) as DisclosureRow[];
}

export function openedBefore(db: Db, before: string): DisclosureRow[] {
  return cached(
    db,
    "SELECT * FROM disclosures WHERE state = 'embargoed' AND ack_reminder_at IS NULL AND opened_at <= ?",
  ).all(before) as DisclosureRow[];
}

export interface ReceiptRow {
  disclosure_id: number;
  member: string;
  organization: string;
  acked_at: string | null;
  acked_by: string | null;
  reminded_at: string | null;
}

export function addReceipt(db: Db, disclosureId: number, member: string, organization: string): void {
  cached(db, 'INSERT OR IGNORE INTO receipts (disclosure_id, member, organization) VALUES (?, ?, ?)').run(
    disclosureId,
    member,
    organization,
  );
}

export function ackReceipt(db: Db, disclosureId: number, member: string, by: string, at: string): boolean {
  return (
    cached(
      db,
      'UPDATE receipts SET acked_at = ?, acked_by = ? WHERE disclosure_id = ? AND member = ? AND acked_at IS NULL',
    ).run(at, by, disclosureId, member).changes === 1
  );
}

export function receiptsOf(db: Db, disclosureId: number): ReceiptRow[] {
  return cached(db, 'SELECT * FROM receipts WHERE disclosure_id = ? ORDER BY member').all(disclosureId) as ReceiptRow[];
}

export function markReceiptReminded(db: Db, disclosureId: number, member: string, at: string): void {
  cached(db, 'UPDATE receipts SET reminded_at = ? WHERE disclosure_id = ? AND member = ?').run(
    at,
    disclosureId,
    member,
  );
}

/** Per member: how the copies of the opening post fared in the outbox. */
export function deliveryOf(db: Db, disclosure: DisclosureRow): Map<string, string> {
  const rows = cached(
    db,
    `SELECT o.recipient, o.status FROM outbox o JOIN outbox_message m ON m.id = o.message
     WHERE m.inbound_id = ? AND m.purpose = 'relay'`,
  ).all(disclosure.inbound_id) as { recipient: string; status: string }[];
  return new Map(rows.map((r) => [r.recipient.toLowerCase(), r.status]));
}

import { cached, type Db } from './db';

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  object?: string | null;
  messageId?: string | null;
  detail?: Record<string, unknown> | null;
}

export function appendAudit(db: Db, e: AuditEntry): void {
  cached(db, 'INSERT INTO audit (at, actor, action, object, message_id, detail) VALUES (?, ?, ?, ?, ?, ?)').run(
    e.at,
    e.actor,
    e.action,
    e.object ?? null,
    e.messageId ?? null,
    e.detail ? JSON.stringify(e.detail) : null,
  );
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  object: string | null;
  message_id: string | null;
  detail: string | null;
}

export function listAudit(db: Db, limit = 100): AuditRow[] {
  return cached(db, 'SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(limit) as AuditRow[];
}

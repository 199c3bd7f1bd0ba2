import { cached, type Db } from './db';

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  object?: string | null;
  messageId?: string | null;
  detail?: Record<string, unknown> | null;
}

/**
 * Detail every audit row gets while an action runs on the server (admin/moderator-action: via
 * cli or console), so that the rows the keyword's own code writes say where it came from. Set
 * only around a synchronous transaction, so no other writer can interleave.
 */
const extraDetail = new WeakMap<Db, Record<string, unknown>>();

export function withAuditDetail<T>(db: Db, extra: Record<string, unknown>, fn: () => T): T {
  extraDetail.set(db, extra);
  try {
    return fn();
  } finally {
    extraDetail.delete(db);
  }
}

export function appendAudit(db: Db, e: AuditEntry): void {
  const extra = extraDetail.get(db);
  if (extra) e = { ...e, detail: { ...(e.detail ?? {}), ...extra } };
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

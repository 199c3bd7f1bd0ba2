-- 0005: bounces. Each member gets a VERP token, so a bounce names the member it came from, and a
-- Mailman-like score; each outbound copy may carry its own envelope sender.

ALTER TABLE members ADD COLUMN verp_token TEXT;
ALTER TABLE members ADD COLUMN bounce_score REAL NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN bounce_last_at TEXT;
ALTER TABLE members ADD COLUMN bounce_last_day TEXT;
ALTER TABLE members ADD COLUMN unreachable_at TEXT;
CREATE UNIQUE INDEX members_verp_token ON members (verp_token);

ALTER TABLE outbox ADD COLUMN envelope_from TEXT;

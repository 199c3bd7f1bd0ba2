-- 0011: the console's sign-in failures also by client address (a per-address limit stops one
-- source that tries many accounts, or keeps a moderator locked out), and an index on their time,
-- so that pruning the old ones (DELETE ... WHERE at < ?) does not scan the table.
-- Failures recorded before this migration have no client address.
ALTER TABLE console_login_failures ADD COLUMN ip TEXT;
CREATE INDEX console_login_failures_at ON console_login_failures (at);
CREATE INDEX console_login_failures_ip ON console_login_failures (ip, at);

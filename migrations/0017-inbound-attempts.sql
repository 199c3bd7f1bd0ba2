-- 0017: attempts that mean a crash, and quarantined messages run again (src/runners/pipeline.ts,
-- src/store/inbound.ts, embargo-list inbound).
--
-- attempt_owner: the process handling the message now (host:pid:start, as outbox.claimed_by);
-- NULL when no handling is under way. A new attempt that finds the previous owner dead counts a
-- crash; one that finds it alive (the same process trying again after a database error) or NULL
-- does not. After MAX_ATTEMPTS crashes the message is quarantined with MESSAGE_TOO_MANY_ATTEMPTS.
-- `attempts` still counts every start, for the record.
--
-- retry_requested_at: set by `embargo-list inbound retry ID`, which puts a quarantined message back
-- to `received`; the daemon handles such rows from the database (their source has moved them to
-- Quarantine already), and finishing the message clears it.
ALTER TABLE inbound ADD COLUMN attempt_owner TEXT;
ALTER TABLE inbound ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound ADD COLUMN retry_requested_at TEXT;
CREATE INDEX inbound_retry ON inbound (retry_requested_at) WHERE retry_requested_at IS NOT NULL;

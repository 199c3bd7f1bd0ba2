-- 0009: the request timers. A join request before the moderators with no decision is reminded to
-- them after policy.requestReminderDays (its applicant told, once, that it is still open) and
-- escalated to list.escalation after policy.requestEscalationDays. Each is sent once: these
-- columns say when it was, and the clock (jobs/expiry) picks only rows where they are NULL.
ALTER TABLE requests ADD COLUMN reminded_at TEXT;
ALTER TABLE requests ADD COLUMN escalated_at TEXT;
ALTER TABLE requests ADD COLUMN applicant_told_at TEXT;
-- Requests decided before this migration are never reminded; open ones are, once, when due.
CREATE INDEX requests_waiting ON requests (state, created_at) WHERE state IN ('moderation', 'asked');

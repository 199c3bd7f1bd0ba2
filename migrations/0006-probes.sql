-- 0006: alias liveness. Members are probed every policy.probeDays; tokens gain the purpose "probe".

ALTER TABLE members ADD COLUMN probed_at TEXT;
ALTER TABLE members ADD COLUMN probe_answered_at TEXT;
ALTER TABLE members ADD COLUMN policy_affirmed_at TEXT;

CREATE TABLE tokens_new (
  token       TEXT    PRIMARY KEY,
  purpose     TEXT    NOT NULL CHECK (purpose IN ('moderate', 'applicant', 'confirm', 'unsubscribe', 'remove', 'thread', 'send', 'leak', 'held', 'probe')),
  request_id  INTEGER REFERENCES requests (id),
  subject     TEXT,
  detail      TEXT,
  created_at  TEXT    NOT NULL,
  expires_at  TEXT    NOT NULL,
  used_at     TEXT,
  used_by     TEXT,
  retired_at  TEXT
);
INSERT INTO tokens_new SELECT * FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_request ON tokens (request_id, purpose);
CREATE INDEX tokens_expiry ON tokens (purpose, used_at, retired_at, expires_at);

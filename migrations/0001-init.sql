-- 0001: the backbone. Inbound messages, members, the outbox, IMAP checkpoints and the audit trail.
-- Times are ISO 8601 UTC text (2026-11-26T10:43:24.000Z), which sorts as it reads.

CREATE TABLE inbound (
  id            INTEGER PRIMARY KEY,
  -- Where the bytes came from, unique per copy: imap:<mailbox>:<uidvalidity>:<uid>,
  -- maildir:<file name>, or ingest:<sha256>. A second fetch of the same copy finds this row.
  source_ref    TEXT    NOT NULL UNIQUE,
  received_at   TEXT    NOT NULL,
  sha256        TEXT    NOT NULL,
  size          INTEGER NOT NULL,
  raw           BLOB    NOT NULL,
  message_id    TEXT,
  sender        TEXT,
  subject       TEXT,
  -- received: recorded, effects not yet applied; processed / quarantined: final.
  status        TEXT    NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'quarantined')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  outcome       TEXT,
  -- JSON array of {rule, reason} for every rule that hit: the answer to "why did it do that?".
  hits          TEXT,
  error_code    TEXT,
  error_message TEXT,
  processed_at  TEXT
);
CREATE INDEX inbound_message_id ON inbound (message_id, outcome);
CREATE INDEX inbound_status ON inbound (status);

CREATE TABLE members (
  id            INTEGER PRIMARY KEY,
  address       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  organization  TEXT    NOT NULL,
  status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
  added_at      TEXT    NOT NULL,
  removed_at    TEXT
);

-- One row per mail we send: the bytes, written once.
CREATE TABLE outbox_message (
  id            INTEGER PRIMARY KEY,
  created_at    TEXT    NOT NULL,
  inbound_id    INTEGER REFERENCES inbound (id),
  purpose       TEXT    NOT NULL,
  envelope_from TEXT    NOT NULL,
  message_id    TEXT,
  raw           BLOB    NOT NULL
);

-- One row per recipient: each copy is its own SMTP envelope and its own fate.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  message         INTEGER NOT NULL REFERENCES outbox_message (id),
  recipient       TEXT    NOT NULL,
  status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT    NOT NULL,
  created_at      TEXT    NOT NULL,
  claimed_by      TEXT,
  claimed_at      TEXT,
  last_code       INTEGER,
  last_error      TEXT,
  finished_at     TEXT,
  UNIQUE (message, recipient)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE imap_checkpoint (
  mailbox      TEXT    PRIMARY KEY,
  uidvalidity  INTEGER NOT NULL,
  last_uid     INTEGER NOT NULL,
  updated_at   TEXT    NOT NULL
);

-- Append-only: every state change, who caused it and which message it came from.
CREATE TABLE audit (
  id          INTEGER PRIMARY KEY,
  at          TEXT    NOT NULL,
  actor       TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  object      TEXT,
  message_id  TEXT,
  detail      TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

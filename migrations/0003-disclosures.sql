-- 0003: disclosure threads under embargo, receipts, leak reports and their retrospectives.

CREATE TABLE disclosures (
  id                  INTEGER PRIMARY KEY,      -- the thread number: [#12]
  subject             TEXT    NOT NULL,
  opening_message_id  TEXT,
  opened_by           TEXT    NOT NULL,
  opened_at           TEXT    NOT NULL,
  -- NULL: sent without an end (SEND); embargoed until a moderator sends LIFT.
  embargo_end         TEXT,
  upstream            INTEGER NOT NULL DEFAULT 0,
  state               TEXT    NOT NULL DEFAULT 'embargoed' CHECK (state IN ('embargoed', 'public')),
  lift_reminder_at    TEXT,                     -- when the "ends soon" reminder went out
  ack_reminder_at     TEXT,                     -- when unacknowledged members were reminded
  lifted_at           TEXT,
  lifted_by           TEXT,
  inbound_id          INTEGER REFERENCES inbound (id)
);
CREATE INDEX disclosures_state ON disclosures (state, embargo_end);

-- Every Message-ID of a thread (the opening post, relayed replies, our notices in it), so that a
-- reply's In-Reply-To or References finds its thread.
CREATE TABLE thread_messages (
  message_id     TEXT    PRIMARY KEY,
  disclosure_id  INTEGER NOT NULL REFERENCES disclosures (id)
);

-- One row per member a disclosure went to: acknowledged or not.
CREATE TABLE receipts (
  disclosure_id  INTEGER NOT NULL REFERENCES disclosures (id),
  member         TEXT    NOT NULL,
  organization   TEXT    NOT NULL,
  acked_at       TEXT,
  acked_by       TEXT,
  reminded_at    TEXT,
  PRIMARY KEY (disclosure_id, member)
);

CREATE TABLE leaks (
  id               INTEGER PRIMARY KEY,
  disclosure_id    INTEGER NOT NULL REFERENCES disclosures (id),
  reporter         TEXT    NOT NULL,
  organization     TEXT    NOT NULL,
  what             TEXT,
  to_whom          TEXT,
  text             TEXT    NOT NULL,
  message_id       TEXT,
  reported_at      TEXT    NOT NULL,
  retro_due        TEXT    NOT NULL,
  retro_reminded_at TEXT,
  retro_closed_at  TEXT,
  retro_closed_by  TEXT,
  retro_summary    TEXT,
  removal_proposed_at TEXT
);
CREATE INDEX leaks_organization ON leaks (organization, reported_at);
CREATE INDEX leaks_open ON leaks (retro_closed_at, retro_due);

-- Tokens gain purposes for threads (moderators' EMBARGO/LIFT), held disclosures (SEND) and leaks (RETRO).
CREATE TABLE tokens_new (
  token       TEXT    PRIMARY KEY,
  purpose     TEXT    NOT NULL CHECK (purpose IN ('moderate', 'applicant', 'confirm', 'unsubscribe', 'remove', 'thread', 'send', 'leak')),
  request_id  INTEGER REFERENCES requests (id),
  subject     TEXT,
  detail      TEXT,
  created_at  TEXT    NOT NULL,
  expires_at  TEXT    NOT NULL,
  used_at     TEXT,
  used_by     TEXT,
  -- Set by the expiry clock once it has dealt with an expired token; a late reply still reads "expired".
  retired_at  TEXT
);
INSERT INTO tokens_new (token, purpose, request_id, subject, detail, created_at, expires_at, used_at, used_by)
  SELECT token, purpose, request_id, subject, detail, created_at, expires_at, used_at, used_by FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_request ON tokens (request_id, purpose);
CREATE INDEX tokens_expiry ON tokens (purpose, used_at, retired_at, expires_at);

-- 0004: the moderation queue, and how many automatic answers each address got.

CREATE TABLE held (
  inbound_id   INTEGER PRIMARY KEY REFERENCES inbound (id),
  sender       TEXT    NOT NULL,
  subject      TEXT    NOT NULL DEFAULT '',
  message_id   TEXT,
  -- JSON array of every reason it was held.
  reasons      TEXT    NOT NULL,
  -- Whether APPROVE can relay it: only mail that was addressed to the list.
  relayable    INTEGER NOT NULL,
  held_at      TEXT    NOT NULL,
  expires_at   TEXT    NOT NULL,
  state        TEXT    NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'approved', 'rejected', 'discarded', 'expired')),
  decided_by   TEXT,
  decided_at   TEXT,
  reason       TEXT
);
CREATE INDEX held_state ON held (state, expires_at);

-- Every automatic answer (acknowledgement, notice to a sender), to cap them per address and day.
CREATE TABLE auto_replies (
  recipient  TEXT NOT NULL COLLATE NOCASE,
  at         TEXT NOT NULL
);
CREATE INDEX auto_replies_recipient ON auto_replies (recipient, at);

-- Tokens gain the purpose "held": APPROVE, REJECT or DISCARD a held post.
CREATE TABLE tokens_new (
  token       TEXT    PRIMARY KEY,
  purpose     TEXT    NOT NULL CHECK (purpose IN ('moderate', 'applicant', 'confirm', 'unsubscribe', 'remove', 'thread', 'send', 'leak', 'held')),
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

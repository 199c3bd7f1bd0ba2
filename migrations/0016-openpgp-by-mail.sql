-- 0016: OpenPGP keys that arrive by mail (src/actions/member-key.ts, src/actions/join-request.ts).
--
-- A member sends its public key to the requests address: the key waits here until the member
-- answers the confirmation mail, which is encrypted to that very key, so that only the key's
-- holder can read the token that confirms it (tokens gain the purpose "key").
CREATE TABLE tokens_new (
  token       TEXT    PRIMARY KEY,
  purpose     TEXT    NOT NULL CHECK (purpose IN ('moderate', 'applicant', 'confirm', 'unsubscribe', 'remove', 'thread', 'send', 'leak', 'held', 'probe', 'key')),
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

CREATE TABLE openpgp_pending_keys (
  token        TEXT    PRIMARY KEY REFERENCES tokens (token),
  address      TEXT    NOT NULL COLLATE NOCASE,   -- the member the key is for (the token's subject)
  fingerprint  TEXT    NOT NULL,
  armored      TEXT    NOT NULL,                  -- the public key alone, armored again by us
  user_ids     TEXT    NOT NULL,                  -- JSON array of the self-certified user IDs
  created      TEXT    NOT NULL,
  expires      TEXT,
  received_at  TEXT    NOT NULL,
  message_id   TEXT                               -- the mail that carried it
);
CREATE INDEX openpgp_pending_keys_address ON openpgp_pending_keys (address, fingerprint);

-- The key a join request carried (an attachment, or an armored block in its text): shown to the
-- moderators with its fingerprint, expiry and user IDs, and stored as the member's key when the
-- alias confirms its subscription. problem_code set: the key was refused (KEY_*), nothing else is.
CREATE TABLE request_keys (
  request_id      INTEGER PRIMARY KEY REFERENCES requests (id),
  fingerprint     TEXT,
  armored         TEXT,
  user_ids        TEXT,
  created         TEXT,
  expires         TEXT,
  problem_code    TEXT,
  problem_message TEXT
);

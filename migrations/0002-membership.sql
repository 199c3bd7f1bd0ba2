-- 0002: join requests as saved workflows, and single-use tokens.

CREATE TABLE requests (
  id              INTEGER PRIMARY KEY,
  -- moderation: waiting for a moderator; asked: waiting for the applicant's answer to ASK;
  -- confirming: approved, waiting for the alias to confirm; subscribed, rejected, lapsed and
  -- superseded (the applicant sent a newer request) are final.
  state           TEXT    NOT NULL CHECK (state IN ('moderation', 'asked', 'confirming', 'subscribed', 'rejected', 'lapsed', 'superseded')),
  applicant       TEXT    NOT NULL,
  applicant_name  TEXT    NOT NULL DEFAULT '',
  organization    TEXT,
  alias           TEXT,
  subject         TEXT    NOT NULL DEFAULT '',
  -- JSON: {"1": "answer", ...}, [missing criteria], [{code, severity, message}]
  answers         TEXT    NOT NULL,
  missing         TEXT    NOT NULL,
  accepts_embargo INTEGER NOT NULL,
  findings        TEXT    NOT NULL,
  inbound_id      INTEGER REFERENCES inbound (id),
  message_id      TEXT,
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL,
  decided_by      TEXT,
  decided_at      TEXT,
  reason          TEXT
);
CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_applicant ON requests (applicant, state);

-- The thread of a request: questions, answers, decisions, in order.
CREATE TABLE request_events (
  id          INTEGER PRIMARY KEY,
  request_id  INTEGER NOT NULL REFERENCES requests (id),
  at          TEXT    NOT NULL,
  actor       TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  text        TEXT
);
CREATE INDEX request_events_request ON request_events (request_id);

-- Unguessable tokens that travel in our Message-IDs and subjects. A reply is matched to what it
-- answers only through one of these.
CREATE TABLE tokens (
  token       TEXT    PRIMARY KEY,
  -- moderate: moderators decide on a request; applicant: the applicant answers a question;
  -- confirm: the alias confirms its subscription; unsubscribe: a member confirms leaving;
  -- remove: a moderator confirms a removal.
  purpose     TEXT    NOT NULL CHECK (purpose IN ('moderate', 'applicant', 'confirm', 'unsubscribe', 'remove')),
  request_id  INTEGER REFERENCES requests (id),
  -- For unsubscribe and remove: the member's address; for remove also the reason (JSON detail).
  subject     TEXT,
  detail      TEXT,
  created_at  TEXT    NOT NULL,
  expires_at  TEXT    NOT NULL,
  used_at     TEXT,
  used_by     TEXT
);
CREATE INDEX tokens_request ON tokens (request_id, purpose);
CREATE INDEX tokens_expiry ON tokens (purpose, used_at, expires_at);

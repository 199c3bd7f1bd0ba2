-- The moderators' web console (src/console/): a password per moderator, server-side sessions,
-- and failed sign-ins for the lockout. Passwords are scrypt hashes; sessions are stored by the
-- SHA-256 of their id, so a copy of the database opens no session.
CREATE TABLE console_accounts (
  address        TEXT    PRIMARY KEY COLLATE NOCASE,
  password_hash  TEXT    NOT NULL,
  updated_at     TEXT    NOT NULL
);

CREATE TABLE console_sessions (
  id_hash     TEXT    PRIMARY KEY,
  address     TEXT    NOT NULL COLLATE NOCASE,
  csrf_token  TEXT    NOT NULL,
  created_at  TEXT    NOT NULL,
  expires_at  TEXT    NOT NULL,
  flash       TEXT
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

CREATE TABLE console_login_failures (
  address  TEXT    NOT NULL COLLATE NOCASE,
  at       TEXT    NOT NULL
);
CREATE INDEX console_login_failures_address ON console_login_failures (address, at);

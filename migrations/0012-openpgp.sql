-- OpenPGP public keys of members and moderators (src/store/keys.ts, embargo-list members|moderators key).
-- One current key per owner: adding another replaces it (audited). Secret keys are never stored here;
-- the list's own key pair lives in <dataDir>/openpgp/list-secret.asc (src/openpgp/list-key.ts).
CREATE TABLE openpgp_keys (
  id           INTEGER PRIMARY KEY,
  owner_kind   TEXT    NOT NULL CHECK (owner_kind IN ('member', 'moderator')),
  address      TEXT    NOT NULL COLLATE NOCASE,
  fingerprint  TEXT    NOT NULL,
  armored      TEXT    NOT NULL,
  user_ids     TEXT    NOT NULL,          -- JSON array of the user IDs with a valid self-certification
  created      TEXT    NOT NULL,          -- the key's creation time (ISO 8601)
  expires      TEXT,                      -- when it stops being usable for encryption; NULL: never
  revoked      INTEGER NOT NULL DEFAULT 0,
  added_at     TEXT    NOT NULL,
  added_by     TEXT    NOT NULL,
  warned_at    TEXT                       -- when its holder was told it expires soon (policy.keyExpiryWarnDays)
);
CREATE UNIQUE INDEX openpgp_keys_owner ON openpgp_keys (owner_kind, address);
CREATE INDEX openpgp_keys_expires ON openpgp_keys (expires) WHERE expires IS NOT NULL;

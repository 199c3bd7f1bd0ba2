-- 0018: an OpenPGP signature authenticates one message only (src/store/signatures.ts).
-- A moderator's signed mail captured on its way (a signed EMBARGO on the thread's long-lived token,
-- say) and sent again under a new Message-ID carries the same valid signature: it is recognised
-- here and does not authenticate again. Signatures older than SIGNATURE_MAX_AGE_DAYS never
-- authenticate, so older rows are pruned.
CREATE TABLE openpgp_signatures_used (
  id           TEXT    PRIMARY KEY,   -- sha256 of the signer's fingerprint, the signature time and the signed bytes
  fingerprint  TEXT    NOT NULL,
  signed_at    TEXT,                  -- the signature's own creation time
  inbound_id   INTEGER,               -- the message it authenticated first
  used_at      TEXT    NOT NULL
);
CREATE INDEX openpgp_signatures_used_at ON openpgp_signatures_used (used_at);

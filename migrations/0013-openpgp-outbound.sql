-- 0013: per-recipient encryption of thread mail (src/openpgp/outbound.ts, src/runners/deliver.ts).
-- encrypt_to: the fingerprint of the member's key the copy must be encrypted to at delivery; NULL: sent
-- in the clear (signed by the list's key when it has one). A copy whose member key changed or became
-- unusable since is never sent in the clear: it fails with KEY_UNUSABLE.
ALTER TABLE outbox ADD COLUMN encrypt_to TEXT;

-- With policy.encryption: required, the members without a usable key who were sent only the
-- key-required notice for a disclosure: once per disclosure and member, and the moderators told once.
CREATE TABLE openpgp_notice_only (
  disclosure  INTEGER NOT NULL REFERENCES disclosures (id),
  address     TEXT    NOT NULL COLLATE NOCASE,
  at          TEXT    NOT NULL,
  PRIMARY KEY (disclosure, address)
);

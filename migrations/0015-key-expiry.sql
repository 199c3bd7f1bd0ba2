-- 0015: a member's key that expired or was revoked is told of once per key (src/jobs/key-expiry.ts):
-- with policy.encryption required the moderators (the member now gets notices only), with
-- opportunistic the member (its copies now go out in the clear). Two columns, so that a key told
-- of under one policy is still told of once under the other. Adding a key (even the same one
-- renewed) makes a new row, so a renewed or replaced key starts untold; warned_at (0012) is the
-- "expires soon" warning, to members and moderators alike.
ALTER TABLE openpgp_keys ADD COLUMN lapse_moderators_told_at TEXT;
ALTER TABLE openpgp_keys ADD COLUMN lapse_member_told_at TEXT;

-- 0014: the decrypted bytes of a message encrypted to the list's key, kept only while a later
-- action may relay them: a held post that APPROVE can relay, or a moderator's returned post that
-- SEND or EMBARGO <end> can open (src/runners/pipeline.ts). `raw` keeps the encrypted original.
-- NULL for every other message; set back to NULL once the held post is decided or expires, and
-- once the returned post's send token is used or expires.
ALTER TABLE inbound ADD COLUMN opened_raw BLOB;

-- 0008: whether a join request's sender was authenticated (an aligned DKIM pass or DMARC pass from
-- the trusted receiving host, or the daemon's own DKIM check), and the sentence that says how.
-- Only an authenticated request replaces the same applicant's pending one at once; an
-- unauthenticated one waits beside it until the applicant confirms from that address.
-- Requests received before this migration count as not authenticated.
ALTER TABLE requests ADD COLUMN authenticated INTEGER NOT NULL DEFAULT 0 CHECK (authenticated IN (0, 1));
ALTER TABLE requests ADD COLUMN auth_evidence TEXT;

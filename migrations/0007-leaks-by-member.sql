-- 0007: leaks are counted per member alias, never per organization name.
--
-- A leak now records who reported it (reporter, and that member's organization at the time) apart
-- from who leaked (leaker: a member alias, or NULL when the report does not say one member).
-- attribution says how the leaker was found:
--   self         the reporter's own leak (the policy asks the member who leaked to report it)
--   named        the reporter named another member ("Leaked by: <alias>", or an organization
--                exactly one active member has); shown, never counted toward a removal proposal
--   ambiguous    the report names an organization several members share, or several members:
--                counted against nobody; leaker_candidates lists them for the moderators
--   unknown      the report names nobody who is an active member: counted against nobody
--   unattributed recorded before this migration and not attributable to a member (see below)

ALTER TABLE leaks RENAME COLUMN organization TO reporter_organization;
ALTER TABLE leaks ADD COLUMN leaker TEXT;
ALTER TABLE leaks ADD COLUMN leaker_organization TEXT;
-- What the report wrote after "Leaked by:", cleaned and shortened; NULL when it named nobody.
ALTER TABLE leaks ADD COLUMN leaker_named TEXT;
-- JSON array of the member aliases an ambiguous name matched.
ALTER TABLE leaks ADD COLUMN leaker_candidates TEXT;
ALTER TABLE leaks ADD COLUMN attribution TEXT NOT NULL DEFAULT 'unattributed'
  CHECK (attribution IN ('self', 'named', 'ambiguous', 'unknown', 'unattributed'));

-- Before this migration a leak was always the reporter's own report, stored with the reporter's
-- organization, and counted for everyone sharing that organization name. Its leaker is the
-- reporter, who is known exactly: a member row with that address. The organization name is not
-- used to pick a member, since two members may share it. A row whose reporter is no member row
-- stays unattributed: NULL leaker, attribution 'unattributed', shown so by "embargo-list leaks".
UPDATE leaks
   SET leaker = (SELECT m.address FROM members m WHERE m.address = leaks.reporter),
       leaker_organization = reporter_organization,
       attribution = 'self'
 WHERE EXISTS (SELECT 1 FROM members m WHERE m.address = leaks.reporter);

DROP INDEX IF EXISTS leaks_organization;
CREATE INDEX leaks_leaker ON leaks (leaker, reported_at);

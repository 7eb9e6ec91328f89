-- Claiming walks the due events in (created, id) order and stops at its
-- limit, instead of visiting and sorting every pending row: with a backlog
-- the old plan made each claim take longer than a group commit.
DROP INDEX events_claim;
CREATE INDEX events_due ON events (created, id) WHERE status IN ('pending', 'failed');

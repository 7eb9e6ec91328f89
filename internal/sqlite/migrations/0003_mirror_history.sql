-- Every state the ordering guard writes for the types whose history is kept
-- (paywarden.KeepsHistory: subscriptions), so that reports can read a
-- subscription as it was at the start of a period. seq is the write order:
-- it breaks ties between states of the same version.
CREATE TABLE mirror_history (
	seq         INTEGER PRIMARY KEY,
	type        TEXT NOT NULL,
	id          TEXT NOT NULL,
	livemode    INTEGER NOT NULL,
	customer    TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL DEFAULT '',
	currency    TEXT NOT NULL DEFAULT '',
	amount      INTEGER NOT NULL DEFAULT 0,
	created     INTEGER NOT NULL,
	data        BLOB NOT NULL,
	version     INTEGER NOT NULL,
	fetched     INTEGER NOT NULL,
	event_id    TEXT NOT NULL DEFAULT '',
	recorded_at INTEGER NOT NULL
) STRICT;

CREATE INDEX mirror_history_at ON mirror_history (type, id, version, seq);

-- The states already mirrored are the first of their history.
INSERT INTO mirror_history (type, id, livemode, customer, status, currency, amount, created, data,
	version, fetched, event_id, recorded_at)
SELECT type, id, livemode, customer, status, currency, amount, created, data,
	version, fetched, event_id, updated_at
FROM mirror_objects WHERE type = 'subscription' ORDER BY version, id;

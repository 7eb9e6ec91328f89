-- Every state the ordering guard writes for the types whose history is kept
-- (paywarden.KeepsHistory: subscriptions), so that reports can read a
-- subscription as it was at the start of a period. seq is the write order:
-- it breaks ties between states of the same version.
CREATE TABLE mirror_history (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	type        text NOT NULL,
	id          text COLLATE "C" NOT NULL,
	livemode    boolean NOT NULL,
	customer    text NOT NULL DEFAULT '',
	status      text NOT NULL DEFAULT '',
	currency    text NOT NULL DEFAULT '',
	amount      bigint NOT NULL DEFAULT 0,
	created     timestamptz NOT NULL,
	data        bytea NOT NULL,
	version     timestamptz NOT NULL,
	fetched     boolean NOT NULL,
	event_id    text NOT NULL DEFAULT '',
	recorded_at timestamptz NOT NULL
);

CREATE INDEX mirror_history_at ON mirror_history (type, id, version, seq);

-- The states already mirrored are the first of their history.
INSERT INTO mirror_history (type, id, livemode, customer, status, currency, amount, created, data,
	version, fetched, event_id, recorded_at)
SELECT type, id, livemode, customer, status, currency, amount, created, data,
	version, fetched, event_id, updated_at
FROM mirror_objects WHERE type = 'subscription' ORDER BY version, id;

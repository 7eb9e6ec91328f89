-- Times are INTEGER microseconds since the Unix epoch, UTC; NULL for a zero
-- time.Time. Booleans are INTEGER 0 or 1.

CREATE TABLE events (
	id              TEXT PRIMARY KEY,
	type            TEXT NOT NULL,
	created         INTEGER NOT NULL,
	livemode        INTEGER NOT NULL,
	api_version     TEXT NOT NULL,
	object_id       TEXT NOT NULL,
	object_type     TEXT NOT NULL,
	endpoint        TEXT NOT NULL,
	payload         BLOB NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'processed', 'failed', 'dead', 'quarantined')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	received_at     INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	processed_at    INTEGER,
	lease_owner     TEXT,
	lease_until     INTEGER
) STRICT;

CREATE INDEX events_claim ON events (status, next_attempt_at);
CREATE INDEX events_received ON events (received_at, id);
CREATE INDEX events_status_received ON events (status, received_at, id);
CREATE INDEX events_type_received ON events (type, received_at, id);

CREATE TABLE mirror_objects (
	type       TEXT NOT NULL,
	id         TEXT NOT NULL,
	livemode   INTEGER NOT NULL,
	customer   TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL DEFAULT '',
	currency   TEXT NOT NULL DEFAULT '',
	amount     INTEGER NOT NULL DEFAULT 0,
	created    INTEGER NOT NULL,
	data       BLOB NOT NULL,
	version    INTEGER NOT NULL,
	fetched    INTEGER NOT NULL,
	event_id   TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (type, id)
) STRICT;

CREATE INDEX mirror_objects_created ON mirror_objects (type, created, id);
CREATE INDEX mirror_objects_customer ON mirror_objects (type, customer, created);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	scopes       TEXT NOT NULL, -- space-separated
	hash         BLOB NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;

CREATE TABLE idempotency (
	token_id     TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	locked_until INTEGER,
	status       INTEGER NOT NULL DEFAULT 0,
	body         BLOB,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	PRIMARY KEY (token_id, key)
) STRICT;

CREATE INDEX idempotency_expires ON idempotency (expires_at);

CREATE TABLE keys (
	fingerprint TEXT NOT NULL,
	capability  TEXT NOT NULL,
	source      TEXT NOT NULL,
	kind        TEXT NOT NULL,
	livemode    INTEGER NOT NULL,
	first_seen  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	PRIMARY KEY (fingerprint, capability)
) STRICT;

-- Times are timestamptz (microseconds), NULL for a zero time.Time.
-- Ids are ordered bytewise (COLLATE "C"), as SQLite orders them, whatever
-- the database's collation.

CREATE TABLE events (
	id              text COLLATE "C" PRIMARY KEY,
	type            text NOT NULL,
	created         timestamptz NOT NULL,
	livemode        boolean NOT NULL,
	api_version     text NOT NULL,
	object_id       text NOT NULL,
	object_type     text NOT NULL,
	endpoint        text NOT NULL,
	payload         bytea NOT NULL,
	status          text NOT NULL CHECK (status IN ('pending', 'processed', 'failed', 'dead', 'quarantined')),
	attempts        integer NOT NULL DEFAULT 0,
	last_error      text NOT NULL DEFAULT '',
	received_at     timestamptz NOT NULL,
	next_attempt_at timestamptz NOT NULL,
	processed_at    timestamptz,
	lease_owner     text,
	lease_until     timestamptz
);

CREATE INDEX events_claim ON events (status, next_attempt_at);
CREATE INDEX events_received ON events (received_at, id);
CREATE INDEX events_status_received ON events (status, received_at, id);
CREATE INDEX events_type_received ON events (type, received_at, id);

CREATE TABLE mirror_objects (
	type       text NOT NULL,
	id         text COLLATE "C" NOT NULL,
	livemode   boolean NOT NULL,
	customer   text NOT NULL DEFAULT '',
	status     text NOT NULL DEFAULT '',
	currency   text NOT NULL DEFAULT '',
	amount     bigint NOT NULL DEFAULT 0,
	created    timestamptz NOT NULL,
	data       bytea NOT NULL,
	version    timestamptz NOT NULL,
	fetched    boolean NOT NULL,
	event_id   text NOT NULL DEFAULT '',
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (type, id)
);

CREATE INDEX mirror_objects_created ON mirror_objects (type, created, id);
CREATE INDEX mirror_objects_customer ON mirror_objects (type, customer, created);

CREATE TABLE tokens (
	id           text COLLATE "C" PRIMARY KEY,
	name         text NOT NULL,
	scopes       text[] NOT NULL,
	hash         bytea NOT NULL UNIQUE,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at   timestamptz
);

CREATE TABLE idempotency (
	token_id     text NOT NULL,
	key          text NOT NULL,
	request_hash bytea NOT NULL,
	locked_until timestamptz,
	status       integer NOT NULL DEFAULT 0,
	body         bytea,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	PRIMARY KEY (token_id, key)
);

CREATE INDEX idempotency_expires ON idempotency (expires_at);

CREATE TABLE keys (
	fingerprint text COLLATE "C" NOT NULL,
	capability  text COLLATE "C" NOT NULL,
	source      text NOT NULL,
	kind        text NOT NULL,
	livemode    boolean NOT NULL,
	first_seen  timestamptz NOT NULL,
	last_seen   timestamptz NOT NULL,
	PRIMARY KEY (fingerprint, capability)
);

-- Where `paywarden sync` stands for each object type: committed after each
-- page, so that a killed sync continues after the last page it stored.
CREATE TABLE sync_cursors (
	type       text PRIMARY KEY,
	since      timestamptz, -- the created[gte] bound; NULL: every object
	last_id    text NOT NULL DEFAULT '',
	done       boolean NOT NULL DEFAULT false,
	listed     bigint NOT NULL DEFAULT 0,
	written    bigint NOT NULL DEFAULT 0,
	unchanged  bigint NOT NULL DEFAULT 0,
	newer      bigint NOT NULL DEFAULT 0,
	pages      bigint NOT NULL DEFAULT 0,
	started_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

-- Where `paywarden sync` stands for each object type: committed after each
-- page, so that a killed sync continues after the last page it stored.
CREATE TABLE sync_cursors (
	type       TEXT PRIMARY KEY,
	since      INTEGER, -- the created[gte] bound; NULL: every object
	last_id    TEXT NOT NULL DEFAULT '',
	done       INTEGER NOT NULL DEFAULT 0,
	listed     INTEGER NOT NULL DEFAULT 0,
	written    INTEGER NOT NULL DEFAULT 0,
	unchanged  INTEGER NOT NULL DEFAULT 0,
	newer      INTEGER NOT NULL DEFAULT 0,
	pages      INTEGER NOT NULL DEFAULT 0,
	started_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

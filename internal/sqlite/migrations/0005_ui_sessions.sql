-- Dashboard sessions (internal/ui): only the SHA-256 of the session id is
-- stored. A session dies with its token (ON DELETE CASCADE), and reads
-- refuse it once the token is revoked or the session has expired.
CREATE TABLE ui_sessions (
	hash       BLOB PRIMARY KEY,
	token_id   TEXT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
CREATE INDEX ui_sessions_token ON ui_sessions (token_id);

-- The dashboard's timeline filters events by the object they touched.
CREATE INDEX events_object_received ON events (object_id, received_at, id);

package rowmap

import "github.com/paywarden/paywarden"

// SyncCursorColumns are the columns of sync_cursors.
const SyncCursorColumns = `type, since, last_id, done, listed, written, unchanged, newer, pages, started_at, updated_at`

// SyncCursorValues returns the values of SyncCursorColumns for c, which
// should have its defaults (paywarden.SyncCursor.WithDefaults).
func SyncCursorValues(c *paywarden.SyncCursor, tm Times) []any {
	return []any{c.Type, tm.Null(c.Since), c.LastID, c.Done, c.Listed, c.Written, c.Unchanged, c.Newer, c.Pages,
		tm.Value(c.StartedAt), tm.Value(c.UpdatedAt)}
}

// SyncCursorDest returns the scan destinations of SyncCursorColumns into c.
func SyncCursorDest(c *paywarden.SyncCursor, tm Times) []any {
	return []any{&c.Type, tm.Dest(&c.Since), &c.LastID, &c.Done, &c.Listed, &c.Written, &c.Unchanged, &c.Newer,
		&c.Pages, tm.Dest(&c.StartedAt), tm.Dest(&c.UpdatedAt)}
}

package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paywarden/paywarden"
)

const syncCursorColumns = `type, since, last_id, done, listed, written, unchanged, newer, pages, started_at, updated_at`

func scanSyncCursor(row pgx.Row) (*paywarden.SyncCursor, error) {
	var (
		c                   paywarden.SyncCursor
		since, started, upd pgtype.Timestamptz
	)
	err := row.Scan(&c.Type, &since, &c.LastID, &c.Done, &c.Listed, &c.Written, &c.Unchanged, &c.Newer, &c.Pages,
		&started, &upd)
	if err != nil {
		return nil, err
	}
	c.Since, c.StartedAt, c.UpdatedAt = fromTS(since), fromTS(started), fromTS(upd)
	return &c, nil
}

// SyncCursor returns the cursor of one object type. ENOTFOUND if there is
// none.
func (db *DB) SyncCursor(ctx context.Context, typ string) (_ *paywarden.SyncCursor, err error) {
	defer wrap(&err, "postgres.SyncCursor(%q)", typ)
	c, err := scanSyncCursor(db.pool.QueryRow(ctx,
		`SELECT `+syncCursorColumns+` FROM sync_cursors WHERE type = $1`, typ))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "no sync cursor for %s", typ)
	}
	return c, err
}

// SyncCursors returns every cursor, ordered by type.
func (db *DB) SyncCursors(ctx context.Context) (_ []*paywarden.SyncCursor, err error) {
	defer wrap(&err, "postgres.SyncCursors")
	rows, err := db.pool.Query(ctx, `SELECT `+syncCursorColumns+` FROM sync_cursors ORDER BY type COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []*paywarden.SyncCursor
	for rows.Next() {
		c, err := scanSyncCursor(rows)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// SaveSyncCursor creates or replaces the cursor of c.Type and sets its
// UpdatedAt. EINVALID for a cursor that fails Validate.
func (db *DB) SaveSyncCursor(ctx context.Context, c *paywarden.SyncCursor) (err error) {
	if err := c.Validate(); err != nil {
		return err
	}
	defer wrap(&err, "postgres.SaveSyncCursor(%q)", c.Type)
	now := ts(db.now())
	_, err = db.pool.Exec(ctx, `INSERT INTO sync_cursors (`+syncCursorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (type) DO UPDATE SET
			since = excluded.since, last_id = excluded.last_id, done = excluded.done,
			listed = excluded.listed, written = excluded.written, unchanged = excluded.unchanged,
			newer = excluded.newer, pages = excluded.pages, started_at = excluded.started_at,
			updated_at = excluded.updated_at`,
		c.Type, nullTS(c.Since), c.LastID, c.Done, c.Listed, c.Written, c.Unchanged, c.Newer, c.Pages,
		ts(orNow(c.StartedAt, now)), now)
	if err != nil {
		return err
	}
	c.StartedAt, c.UpdatedAt = ts(orNow(c.StartedAt, now)), now
	return nil
}

// DeleteSyncCursors removes the cursors of types, or every cursor when
// types is empty, and returns how many it removed.
func (db *DB) DeleteSyncCursors(ctx context.Context, types []string) (n int, err error) {
	defer wrap(&err, "postgres.DeleteSyncCursors")
	q, args := `DELETE FROM sync_cursors`, []any{}
	if len(types) > 0 {
		q, args = q+` WHERE type = ANY($1)`, append(args, types)
	}
	tag, err := db.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

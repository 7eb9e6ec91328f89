package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanSyncCursor(row pgx.Row) (*paywarden.SyncCursor, error) {
	return scanRow(row, rowmap.SyncCursorDest)
}

// SyncCursor implements paywarden.SyncStore.
func (db *DB) SyncCursor(ctx context.Context, typ string) (_ *paywarden.SyncCursor, err error) {
	defer derrors.Wrap(&err, "postgres.SyncCursor(%q)", typ)
	c, err := scanSyncCursor(db.pool.QueryRow(ctx,
		`SELECT `+rowmap.SyncCursorColumns+` FROM sync_cursors WHERE type = $1`, typ))
	return c, noRows(err, paywarden.ENOTFOUND, "no sync cursor for %s", typ)
}

// SyncCursors implements paywarden.SyncStore.
func (db *DB) SyncCursors(ctx context.Context) (_ []*paywarden.SyncCursor, err error) {
	defer derrors.Wrap(&err, "postgres.SyncCursors")
	return queryAll(ctx, db.pool, scanSyncCursor,
		`SELECT `+rowmap.SyncCursorColumns+` FROM sync_cursors ORDER BY type COLLATE "C"`)
}

// SaveSyncCursor implements paywarden.SyncStore.
func (db *DB) SaveSyncCursor(ctx context.Context, c *paywarden.SyncCursor) (err error) {
	defer derrors.Wrap(&err, "postgres.SaveSyncCursor(%q)", c.Type)
	if err := c.Validate(); err != nil {
		return err
	}
	d := c.WithDefaults(db.now())
	var stored *paywarden.SyncCursor
	err = db.transact(ctx, func(tx pgx.Tx) error {
		stored, err = scanSyncCursor(tx.QueryRow(ctx, `INSERT INTO sync_cursors (`+rowmap.SyncCursorColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (type) DO UPDATE SET
				since = excluded.since, last_id = excluded.last_id, done = excluded.done,
				listed = excluded.listed, written = excluded.written, unchanged = excluded.unchanged,
				newer = excluded.newer, pages = excluded.pages, started_at = excluded.started_at,
				updated_at = excluded.updated_at
			RETURNING `+rowmap.SyncCursorColumns,
			rowmap.SyncCursorValues(&d, times)...))
		return err
	})
	if err != nil {
		return err
	}
	*c = *stored
	return nil
}

// DeleteSyncCursors implements paywarden.SyncStore.
func (db *DB) DeleteSyncCursors(ctx context.Context, types []string) (n int, err error) {
	defer derrors.Wrap(&err, "postgres.DeleteSyncCursors")
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

package sqlite

import (
	"context"
	"strings"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanSyncCursor(s scanner) (*paywarden.SyncCursor, error) {
	return scanRow(s, rowmap.SyncCursorDest)
}

// SyncCursor implements paywarden.SyncStore.
func (db *DB) SyncCursor(ctx context.Context, typ string) (_ *paywarden.SyncCursor, err error) {
	defer derrors.Wrap(&err, "sqlite.SyncCursor(%q)", typ)
	c, err := scanSyncCursor(db.read.QueryRowContext(ctx,
		`SELECT `+rowmap.SyncCursorColumns+` FROM sync_cursors WHERE type = ?`, typ))
	return c, noRows(err, paywarden.ENOTFOUND, "no sync cursor for %s", typ)
}

// SyncCursors implements paywarden.SyncStore.
func (db *DB) SyncCursors(ctx context.Context) (_ []*paywarden.SyncCursor, err error) {
	defer derrors.Wrap(&err, "sqlite.SyncCursors")
	return queryAll(ctx, db.read, scanSyncCursor, `SELECT `+rowmap.SyncCursorColumns+` FROM sync_cursors ORDER BY type`)
}

// SaveSyncCursor implements paywarden.SyncStore. The cursor is committed
// synced: it is the record of a page whose objects were.
func (db *DB) SaveSyncCursor(ctx context.Context, c *paywarden.SyncCursor) (err error) {
	defer derrors.Wrap(&err, "sqlite.SaveSyncCursor(%q)", c.Type)
	if err := c.Validate(); err != nil {
		return err
	}
	d := c.WithDefaults(db.now())
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stored, err := scanSyncCursor(tx.QueryRowContext(ctx, `INSERT INTO sync_cursors (`+rowmap.SyncCursorColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (type) DO UPDATE SET
			since = excluded.since, last_id = excluded.last_id, done = excluded.done,
			listed = excluded.listed, written = excluded.written, unchanged = excluded.unchanged,
			newer = excluded.newer, pages = excluded.pages, started_at = excluded.started_at,
			updated_at = excluded.updated_at
		RETURNING `+rowmap.SyncCursorColumns,
		rowmap.SyncCursorValues(&d, times)...))
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*c = *stored
	return nil
}

// DeleteSyncCursors implements paywarden.SyncStore.
func (db *DB) DeleteSyncCursors(ctx context.Context, types []string) (n int, err error) {
	defer derrors.Wrap(&err, "sqlite.DeleteSyncCursors")
	q, args := `DELETE FROM sync_cursors`, []any{}
	if len(types) > 0 {
		q += ` WHERE type IN (?` + strings.Repeat(`, ?`, len(types)-1) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	m, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(m), tx.Commit()
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

const syncCursorColumns = `type, since, last_id, done, listed, written, unchanged, newer, pages, started_at, updated_at`

func scanSyncCursor(s scanner) (*paywarden.SyncCursor, error) {
	var (
		c                   paywarden.SyncCursor
		since, started, upd sql.NullInt64
	)
	err := s.Scan(&c.Type, &since, &c.LastID, &c.Done, &c.Listed, &c.Written, &c.Unchanged, &c.Newer, &c.Pages,
		&started, &upd)
	if err != nil {
		return nil, err
	}
	c.Since, c.StartedAt, c.UpdatedAt = fromMicros(since), fromMicros(started), fromMicros(upd)
	return &c, nil
}

// SyncCursor returns the cursor of one object type. ENOTFOUND if there is
// none.
func (db *DB) SyncCursor(ctx context.Context, typ string) (_ *paywarden.SyncCursor, err error) {
	defer wrap(&err, "sqlite.SyncCursor(%q)", typ)
	c, err := scanSyncCursor(db.read.QueryRowContext(ctx,
		`SELECT `+syncCursorColumns+` FROM sync_cursors WHERE type = ?`, typ))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "no sync cursor for %s", typ)
	}
	return c, err
}

// SyncCursors returns every cursor, ordered by type.
func (db *DB) SyncCursors(ctx context.Context) (_ []*paywarden.SyncCursor, err error) {
	defer wrap(&err, "sqlite.SyncCursors")
	rows, err := db.read.QueryContext(ctx, `SELECT `+syncCursorColumns+` FROM sync_cursors ORDER BY type`)
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
	defer wrap(&err, "sqlite.SaveSyncCursor(%q)", c.Type)
	now := db.now()
	_, err = db.write.ExecContext(ctx, `INSERT INTO sync_cursors (`+syncCursorColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (type) DO UPDATE SET
			since = excluded.since, last_id = excluded.last_id, done = excluded.done,
			listed = excluded.listed, written = excluded.written, unchanged = excluded.unchanged,
			newer = excluded.newer, pages = excluded.pages, started_at = excluded.started_at,
			updated_at = excluded.updated_at`,
		c.Type, nullMicros(c.Since), c.LastID, c.Done, c.Listed, c.Written, c.Unchanged, c.Newer, c.Pages,
		micros(orNow(c.StartedAt, now)), micros(now))
	if err != nil {
		return err
	}
	c.StartedAt = time.UnixMicro(micros(orNow(c.StartedAt, now))).UTC()
	c.UpdatedAt = time.UnixMicro(micros(now)).UTC()
	return nil
}

// DeleteSyncCursors removes the cursors of types, or every cursor when
// types is empty, and returns how many it removed.
func (db *DB) DeleteSyncCursors(ctx context.Context, types []string) (n int, err error) {
	defer wrap(&err, "sqlite.DeleteSyncCursors")
	q, args := `DELETE FROM sync_cursors`, []any{}
	if len(types) > 0 {
		q += ` WHERE type IN (?` + strings.Repeat(`, ?`, len(types)-1) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	res, err := db.write.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	m, err := res.RowsAffected()
	return int(m), err
}

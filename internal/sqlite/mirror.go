package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanObject(s scanner) (*paywarden.MirrorObject, error) { return scanRow(s, rowmap.ObjectDest) }

// Object implements paywarden.MirrorStore.
func (db *DB) Object(ctx context.Context, typ, id string) (_ *paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "sqlite.Object(%q, %q)", typ, id)
	o, err := scanObject(db.read.QueryRowContext(ctx,
		`SELECT `+rowmap.ObjectColumns+` FROM mirror_objects WHERE type = ? AND id = ?`, typ, id))
	return o, noRows(err, paywarden.ENOTFOUND, "%s %s not found", typ, id)
}

// ListObjects implements paywarden.MirrorStore.
func (db *DB) ListObjects(ctx context.Context, f paywarden.MirrorFilter) (_ []*paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "sqlite.ListObjects(%q)", f.Type)
	if err := f.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	os, err := listObjects(ctx, tx.Tx, f)
	if err != nil {
		return nil, err
	}
	return os, tx.Commit()
}

func listObjects(ctx context.Context, tx *sql.Tx, f paywarden.MirrorFilter) ([]*paywarden.MirrorObject, error) {
	w := rowmap.NewWhere(param)
	rowmap.ObjectWhere(w, f, times)
	if f.StartingAfter != "" {
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT created FROM mirror_objects WHERE type = ? AND id = ?`,
			f.Type, f.StartingAfter).Scan(&created)
		if err := noRows(err, paywarden.EINVALID, "starting_after: no %s %s", f.Type, f.StartingAfter); err != nil {
			return nil, err
		}
		w.And("(created < " + w.Arg(created) + " OR (created = " + w.Arg(created) + " AND id < " + w.Arg(f.StartingAfter) + "))")
	}
	limit := f.WithDefaults().Limit
	if limit < 0 {
		limit = -1 // SQLite: no limit
	}
	q := `SELECT ` + rowmap.ObjectColumns + ` FROM mirror_objects` + w.String() +
		` ORDER BY created DESC, id DESC LIMIT ` + w.Arg(limit)
	return queryAll(ctx, tx, scanObject, q, w.Args()...)
}

// UpsertObjects implements paywarden.MirrorStore.
func (db *DB) UpsertObjects(ctx context.Context, objs []*paywarden.MirrorObject) (written []bool, err error) {
	defer derrors.Wrap(&err, "sqlite.UpsertObjects(%d objects)", len(objs))
	if err := paywarden.ValidateObjects(objs); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	written, err = upsertObjects(ctx, tx.Tx, objs, db.now())
	if err != nil {
		return nil, err
	}
	return written, tx.Commit()
}

// upsertObjects writes each object unless the stored one is newer: the
// ordering guard lives in the WHERE of the upsert, so it holds whoever
// writes.
func upsertObjects(ctx context.Context, tx *sql.Tx, objs []*paywarden.MirrorObject, now time.Time) ([]bool, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO mirror_objects (`+rowmap.ObjectColumns+`, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (type, id) DO UPDATE SET
			livemode = excluded.livemode, customer = excluded.customer, status = excluded.status,
			currency = excluded.currency, amount = excluded.amount, created = excluded.created,
			data = excluded.data, version = excluded.version, fetched = excluded.fetched,
			event_id = excluded.event_id, updated_at = excluded.updated_at
		WHERE excluded.version > mirror_objects.version
			OR (excluded.version = mirror_objects.version AND excluded.fetched)`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	written := make([]bool, len(objs))
	for i, o := range objs {
		res, err := stmt.ExecContext(ctx, rowmap.ObjectValues(o, now, times)...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		written[i] = n > 0
	}
	return written, recordHistory(ctx, tx, objs, written, now)
}

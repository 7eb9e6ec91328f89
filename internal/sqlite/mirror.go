package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

const objectColumns = `type, id, livemode, customer, status, currency, amount, created, data, version, fetched, event_id`

func scanObject(s scanner) (*paywarden.MirrorObject, error) {
	var (
		o                paywarden.MirrorObject
		created, version sql.NullInt64
	)
	err := s.Scan(&o.Type, &o.ID, &o.Livemode, &o.Customer, &o.Status, &o.Currency, &o.Amount, &created, &o.Data,
		&version, &o.Fetched, &o.EventID)
	if err != nil {
		return nil, err
	}
	o.Created = fromMicros(created)
	o.Version = fromMicros(version)
	return &o, nil
}

// Object returns one object. ENOTFOUND if there is none.
func (db *DB) Object(ctx context.Context, typ, id string) (_ *paywarden.MirrorObject, err error) {
	defer wrap(&err, "sqlite.Object(%q, %q)", typ, id)
	o, err := scanObject(db.read.QueryRowContext(ctx,
		`SELECT `+objectColumns+` FROM mirror_objects WHERE type = ? AND id = ?`, typ, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "%s %s not found", typ, id)
	}
	return o, err
}

// ListObjects returns objects of one type, newest Created first. EINVALID
// if f.Type is empty or f.StartingAfter names no object of that type.
func (db *DB) ListObjects(ctx context.Context, f paywarden.MirrorFilter) (_ []*paywarden.MirrorObject, err error) {
	defer wrap(&err, "sqlite.ListObjects(%q)", f.Type)
	if f.Type == "" {
		return nil, paywarden.Errorf(paywarden.EINVALID, "listing objects needs a type")
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	os, err := listObjects(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	return os, tx.Commit()
}

func listObjects(ctx context.Context, tx *sql.Tx, f paywarden.MirrorFilter) ([]*paywarden.MirrorObject, error) {
	where, args := []string{"type = ?"}, []any{f.Type}
	if f.Customer != "" {
		where, args = append(where, "customer = ?"), append(args, f.Customer)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Currency != "" {
		where, args = append(where, "currency = ?"), append(args, f.Currency)
	}
	if !f.CreatedFrom.IsZero() {
		where, args = append(where, "created >= ?"), append(args, micros(f.CreatedFrom))
	}
	if !f.CreatedTo.IsZero() {
		where, args = append(where, "created < ?"), append(args, micros(f.CreatedTo))
	}
	if f.StartingAfter != "" {
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT created FROM mirror_objects WHERE type = ? AND id = ?`,
			f.Type, f.StartingAfter).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, paywarden.Errorf(paywarden.EINVALID, "starting_after: no %s %s", f.Type, f.StartingAfter)
		} else if err != nil {
			return nil, err
		}
		where = append(where, "(created < ? OR (created = ? AND id < ?))")
		args = append(args, created, created, f.StartingAfter)
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	} else if limit < 0 {
		limit = -1 // SQLite: no limit
	}
	q := `SELECT ` + objectColumns + ` FROM mirror_objects WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created DESC, id DESC LIMIT ?`
	rows, err := tx.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var os []*paywarden.MirrorObject
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		os = append(os, o)
	}
	return os, rows.Err()
}

// UpsertObjects writes objects under the ordering guard, in one
// transaction, and reports for each whether it was written.
func (db *DB) UpsertObjects(ctx context.Context, objs []*paywarden.MirrorObject) (written []bool, err error) {
	defer wrap(&err, "sqlite.UpsertObjects(%d objects)", len(objs))
	for _, o := range objs {
		if err := o.Validate(); err != nil {
			return nil, err
		}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	written, err = upsertObjects(ctx, tx, objs, db.now())
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
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO mirror_objects (`+objectColumns+`, updated_at)
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
		res, err := stmt.ExecContext(ctx, o.Type, o.ID, o.Livemode, o.Customer, o.Status, o.Currency, o.Amount,
			micros(o.Created), nonNil(o.Data), micros(o.Version), o.Fetched, o.EventID, micros(now))
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

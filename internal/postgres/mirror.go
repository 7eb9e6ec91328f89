package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paywarden/paywarden"
)

const objectColumns = `type, id, livemode, customer, status, currency, amount, created, data, version, fetched, event_id`

func scanObject(row pgx.Row) (*paywarden.MirrorObject, error) {
	var (
		o                paywarden.MirrorObject
		created, version pgtype.Timestamptz
	)
	err := row.Scan(&o.Type, &o.ID, &o.Livemode, &o.Customer, &o.Status, &o.Currency, &o.Amount, &created, &o.Data,
		&version, &o.Fetched, &o.EventID)
	if err != nil {
		return nil, err
	}
	o.Created = fromTS(created)
	o.Version = fromTS(version)
	return &o, nil
}

// Object returns one object. ENOTFOUND if there is none.
func (db *DB) Object(ctx context.Context, typ, id string) (_ *paywarden.MirrorObject, err error) {
	defer wrap(&err, "postgres.Object(%q, %q)", typ, id)
	o, err := scanObject(db.pool.QueryRow(ctx,
		`SELECT `+objectColumns+` FROM mirror_objects WHERE type = $1 AND id = $2`, typ, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "%s %s not found", typ, id)
	}
	return o, err
}

// ListObjects returns objects of one type, newest Created first. EINVALID
// if f.Type is empty or f.StartingAfter names no object of that type.
func (db *DB) ListObjects(ctx context.Context, f paywarden.MirrorFilter) (os []*paywarden.MirrorObject, err error) {
	defer wrap(&err, "postgres.ListObjects(%q)", f.Type)
	if f.Type == "" {
		return nil, paywarden.Errorf(paywarden.EINVALID, "listing objects needs a type")
	}
	err = db.transact(ctx, func(tx pgx.Tx) error {
		os, err = listObjects(ctx, tx, f)
		return err
	})
	return os, err
}

func listObjects(ctx context.Context, tx pgx.Tx, f paywarden.MirrorFilter) ([]*paywarden.MirrorObject, error) {
	var a args
	where := []string{"type = " + a.add(f.Type)}
	if f.Customer != "" {
		where = append(where, "customer = "+a.add(f.Customer))
	}
	if f.Status != "" {
		where = append(where, "status = "+a.add(f.Status))
	}
	if f.Currency != "" {
		where = append(where, "currency = "+a.add(f.Currency))
	}
	if !f.CreatedFrom.IsZero() {
		where = append(where, "created >= "+a.add(ts(f.CreatedFrom)))
	}
	if !f.CreatedTo.IsZero() {
		where = append(where, "created < "+a.add(ts(f.CreatedTo)))
	}
	if f.StartingAfter != "" {
		var created time.Time
		err := tx.QueryRow(ctx, `SELECT created FROM mirror_objects WHERE type = $1 AND id = $2`,
			f.Type, f.StartingAfter).Scan(&created)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, paywarden.Errorf(paywarden.EINVALID, "starting_after: no %s %s", f.Type, f.StartingAfter)
		} else if err != nil {
			return nil, err
		}
		where = append(where, "(created, id) < ("+a.add(created)+", "+a.add(f.StartingAfter)+")")
	}
	q := `SELECT ` + objectColumns + ` FROM mirror_objects WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created DESC, id DESC`
	switch {
	case f.Limit == 0:
		q += ` LIMIT 100`
	case f.Limit > 0:
		q += ` LIMIT ` + a.add(f.Limit)
	}
	rows, err := tx.Query(ctx, q, a...)
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
	defer wrap(&err, "postgres.UpsertObjects(%d objects)", len(objs))
	for _, o := range objs {
		if err := o.Validate(); err != nil {
			return nil, err
		}
	}
	now := db.now()
	err = db.transact(ctx, func(tx pgx.Tx) error {
		written, err = upsertObjects(ctx, tx, objs, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}

// upsertObjects writes each object unless the stored one is newer: the
// ordering guard lives in the WHERE of the upsert, so it holds whoever
// writes, and the row lock the upsert takes orders concurrent writers.
func upsertObjects(ctx context.Context, tx pgx.Tx, objs []*paywarden.MirrorObject, now time.Time) ([]bool, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	const q = `INSERT INTO mirror_objects (` + objectColumns + `, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (type, id) DO UPDATE SET
			livemode = excluded.livemode, customer = excluded.customer, status = excluded.status,
			currency = excluded.currency, amount = excluded.amount, created = excluded.created,
			data = excluded.data, version = excluded.version, fetched = excluded.fetched,
			event_id = excluded.event_id, updated_at = excluded.updated_at
		WHERE excluded.version > mirror_objects.version
			OR (excluded.version = mirror_objects.version AND excluded.fetched)`
	var b pgx.Batch
	for _, o := range objs {
		b.Queue(q, o.Type, o.ID, o.Livemode, o.Customer, o.Status, o.Currency, o.Amount,
			ts(o.Created), nonNil(o.Data), ts(o.Version), o.Fetched, o.EventID, ts(now))
	}
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	written := make([]bool, len(objs))
	for i := range objs {
		tag, err := br.Exec()
		if err != nil {
			return nil, err
		}
		written[i] = tag.RowsAffected() > 0
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	return written, recordHistory(ctx, tx, objs, written, now)
}

package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanObject(row pgx.Row) (*paywarden.MirrorObject, error) { return scanRow(row, rowmap.ObjectDest) }

// Object implements paywarden.MirrorStore.
func (db *DB) Object(ctx context.Context, typ, id string) (_ *paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "postgres.Object(%q, %q)", typ, id)
	o, err := scanObject(db.pool.QueryRow(ctx,
		`SELECT `+rowmap.ObjectColumns+` FROM mirror_objects WHERE type = $1 AND id = $2`, typ, id))
	return o, noRows(err, paywarden.ENOTFOUND, "%s %s not found", typ, id)
}

// ListObjects implements paywarden.MirrorStore.
func (db *DB) ListObjects(ctx context.Context, f paywarden.MirrorFilter) (os []*paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "postgres.ListObjects(%q)", f.Type)
	if err := f.Validate(); err != nil {
		return nil, err
	}
	err = db.transact(ctx, func(tx pgx.Tx) error {
		os, err = listObjects(ctx, tx, f)
		return err
	})
	return os, err
}

func listObjects(ctx context.Context, tx pgx.Tx, f paywarden.MirrorFilter) ([]*paywarden.MirrorObject, error) {
	w := rowmap.NewWhere(param)
	rowmap.ObjectWhere(w, f, times)
	if f.StartingAfter != "" {
		var created time.Time
		err := tx.QueryRow(ctx, `SELECT created FROM mirror_objects WHERE type = $1 AND id = $2`,
			f.Type, f.StartingAfter).Scan(&created)
		if err := noRows(err, paywarden.EINVALID, "starting_after: no %s %s", f.Type, f.StartingAfter); err != nil {
			return nil, err
		}
		w.And("(created, id) < (" + w.Arg(created) + ", " + w.Arg(f.StartingAfter) + ")")
	}
	q := `SELECT ` + rowmap.ObjectColumns + ` FROM mirror_objects` + w.String() + ` ORDER BY created DESC, id DESC`
	if limit := f.WithDefaults().Limit; limit > 0 {
		q += ` LIMIT ` + w.Arg(limit)
	}
	return queryAll(ctx, tx, scanObject, q, w.Args()...)
}

// UpsertObjects implements paywarden.MirrorStore.
func (db *DB) UpsertObjects(ctx context.Context, objs []*paywarden.MirrorObject) (written []bool, err error) {
	defer derrors.Wrap(&err, "postgres.UpsertObjects(%d objects)", len(objs))
	if err := paywarden.ValidateObjects(objs); err != nil {
		return nil, err
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
	const q = `INSERT INTO mirror_objects (` + rowmap.ObjectColumns + `, updated_at)
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
		b.Queue(q, rowmap.ObjectValues(o, now, times)...)
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

package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paywarden/paywarden"
)

// historyColumns are the columns of mirror_history that make a
// MirrorObject, in the order scanHistory reads them.
const historyColumns = `type, id, livemode, customer, status, currency, amount, created, data, version, fetched, event_id`

func scanHistory(row pgx.Row) (*paywarden.MirrorObject, error) {
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

// recordHistory appends to mirror_history every object that the ordering
// guard wrote and whose type keeps a history, in the transaction that
// wrote it, so the history never disagrees with mirror_objects.
func recordHistory(ctx context.Context, tx pgx.Tx, objs []*paywarden.MirrorObject, written []bool, now time.Time) error {
	var b pgx.Batch
	for i, o := range objs {
		if !written[i] || !paywarden.KeepsHistory(o.Type) {
			continue
		}
		b.Queue(`INSERT INTO mirror_history (`+historyColumns+`, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			o.Type, o.ID, o.Livemode, o.Customer, o.Status, o.Currency, o.Amount,
			ts(o.Created), nonNil(o.Data), ts(o.Version), o.Fetched, o.EventID, ts(now))
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b).Close()
}

// ObjectsAt returns, for each of ids with a recorded state at or before
// at, the latest such state. EINVALID if typ is empty.
func (db *DB) ObjectsAt(ctx context.Context, typ string, ids []string, at time.Time) (_ []*paywarden.MirrorObject, err error) {
	defer wrap(&err, "postgres.ObjectsAt(%q, %d ids)", typ, len(ids))
	if typ == "" {
		return nil, paywarden.Errorf(paywarden.EINVALID, "reading the history needs a type")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// The guard writes versions in order, so the latest state is the one
	// with the greatest (version, seq).
	return db.queryHistory(ctx, `SELECT DISTINCT ON (id) `+historyColumns+` FROM mirror_history
		WHERE type = $1 AND version <= $2 AND id = ANY($3)
		ORDER BY id, version DESC, seq DESC`, typ, ts(at), ids)
}

// ObjectHistory returns every recorded state of one object, oldest first.
func (db *DB) ObjectHistory(ctx context.Context, typ, id string) (_ []*paywarden.MirrorObject, err error) {
	defer wrap(&err, "postgres.ObjectHistory(%q, %q)", typ, id)
	return db.queryHistory(ctx, `SELECT `+historyColumns+` FROM mirror_history
		WHERE type = $1 AND id = $2 ORDER BY version, seq`, typ, id)
}

func (db *DB) queryHistory(ctx context.Context, q string, args ...any) ([]*paywarden.MirrorObject, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var os []*paywarden.MirrorObject
	for rows.Next() {
		o, err := scanHistory(rows)
		if err != nil {
			return nil, err
		}
		os = append(os, o)
	}
	return os, rows.Err()
}

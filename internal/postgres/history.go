package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

// mirror_history holds rowmap.ObjectColumns and then recorded_at, as
// mirror_objects holds them and then updated_at, so both tables are
// written with rowmap.ObjectValues and read with scanObject.

// recordHistory appends to mirror_history every object that the ordering
// guard wrote and whose type keeps a history, in the transaction that
// wrote it, so the history never disagrees with mirror_objects.
func recordHistory(ctx context.Context, tx pgx.Tx, objs []*paywarden.MirrorObject, written []bool, now time.Time) error {
	const q = `INSERT INTO mirror_history (` + rowmap.ObjectColumns + `, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`
	var b pgx.Batch
	for i, o := range objs {
		if written[i] && paywarden.KeepsHistory(o.Type) {
			b.Queue(q, rowmap.ObjectValues(o, now, times)...)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b).Close()
}

// ObjectsAt implements paywarden.MirrorHistoryStore.
func (db *DB) ObjectsAt(ctx context.Context, typ string, ids []string, at time.Time) (_ []*paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "postgres.ObjectsAt(%q, %d ids)", typ, len(ids))
	if err := paywarden.ValidateHistoryType(typ); err != nil {
		return nil, err
	}
	// One query, whatever the number of ids: an array is one parameter.
	// The guard writes versions in order, so the latest state is the one
	// with the greatest (version, seq).
	return queryAll(ctx, db.pool, scanObject, `SELECT DISTINCT ON (id) `+rowmap.ObjectColumns+` FROM mirror_history
		WHERE type = $1 AND version <= $2 AND id = ANY($3)
		ORDER BY id, version DESC, seq DESC`, typ, times.Value(at), ids)
}

// ObjectHistory implements paywarden.MirrorHistoryStore.
func (db *DB) ObjectHistory(ctx context.Context, typ, id string) (_ []*paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "postgres.ObjectHistory(%q, %q)", typ, id)
	if err := paywarden.ValidateHistoryType(typ); err != nil {
		return nil, err
	}
	return queryAll(ctx, db.pool, scanObject, `SELECT `+rowmap.ObjectColumns+` FROM mirror_history
		WHERE type = $1 AND id = $2 ORDER BY version, seq`, typ, id)
}

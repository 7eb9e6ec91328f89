package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

// mirror_history holds rowmap.ObjectColumns and then recorded_at, as
// mirror_objects holds them and then updated_at, so both tables are
// written with rowmap.ObjectValues and read with scanObject.

// historyChunk bounds the ids of one ObjectsAt query, well under SQLite's
// limit on bound parameters.
const historyChunk = 500

// recordHistory appends to mirror_history every object that the ordering
// guard wrote and whose type keeps a history, in the transaction that
// wrote it, so the history never disagrees with mirror_objects.
func recordHistory(ctx context.Context, tx *sql.Tx, objs []*paywarden.MirrorObject, written []bool, now time.Time) error {
	for i, o := range objs {
		if !written[i] || !paywarden.KeepsHistory(o.Type) {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mirror_history (`+rowmap.ObjectColumns+`, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, rowmap.ObjectValues(o, now, times)...)
		if err != nil {
			return err
		}
	}
	return nil
}

// ObjectsAt implements paywarden.MirrorHistoryStore.
func (db *DB) ObjectsAt(ctx context.Context, typ string, ids []string, at time.Time) (_ []*paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "sqlite.ObjectsAt(%q, %d ids)", typ, len(ids))
	if err := paywarden.ValidateHistoryType(typ); err != nil {
		return nil, err
	}
	// The ids are read in chunks; one transaction gives them one snapshot.
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var os []*paywarden.MirrorObject
	for chunk := range slices.Chunk(ids, historyChunk) {
		got, err := objectsAt(ctx, tx.Tx, typ, chunk, at)
		if err != nil {
			return nil, err
		}
		os = append(os, got...)
	}
	return os, tx.Commit()
}

func objectsAt(ctx context.Context, tx *sql.Tx, typ string, ids []string, at time.Time) ([]*paywarden.MirrorObject, error) {
	w := rowmap.NewWhere(param)
	w.Eq("type", typ)
	w.And("version <= " + w.Arg(times.Value(at)))
	in := make([]string, len(ids))
	for i, id := range ids {
		in[i] = w.Arg(id)
	}
	w.And("id IN (" + strings.Join(in, ", ") + ")")
	// The guard writes versions in order, so the latest state is the one
	// with the greatest (version, seq).
	q := `SELECT ` + rowmap.ObjectColumns + ` FROM (
			SELECT ` + rowmap.ObjectColumns + `, row_number() OVER (PARTITION BY id ORDER BY version DESC, seq DESC) AS rn
			FROM mirror_history` + w.String() + `
		) WHERE rn = 1`
	return queryAll(ctx, tx, scanObject, q, w.Args()...)
}

// ObjectHistory implements paywarden.MirrorHistoryStore.
func (db *DB) ObjectHistory(ctx context.Context, typ, id string) (_ []*paywarden.MirrorObject, err error) {
	defer derrors.Wrap(&err, "sqlite.ObjectHistory(%q, %q)", typ, id)
	if err := paywarden.ValidateHistoryType(typ); err != nil {
		return nil, err
	}
	return queryAll(ctx, db.read, scanObject, `SELECT `+rowmap.ObjectColumns+` FROM mirror_history
		WHERE type = ? AND id = ? ORDER BY version, seq`, typ, id)
}

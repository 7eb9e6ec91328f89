package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// historyColumns are the columns of mirror_history that make a
// MirrorObject, in the order scanHistory reads them.
const historyColumns = `type, id, livemode, customer, status, currency, amount, created, data, version, fetched, event_id`

// historyChunk bounds the ids of one ObjectsAt query, well under SQLite's
// limit on bound parameters.
const historyChunk = 500

func scanHistory(s scanner) (*paywarden.MirrorObject, error) {
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

// recordHistory appends to mirror_history every object that the ordering
// guard wrote and whose type keeps a history, in the transaction that
// wrote it, so the history never disagrees with mirror_objects.
func recordHistory(ctx context.Context, tx *sql.Tx, objs []*paywarden.MirrorObject, written []bool, now time.Time) error {
	for i, o := range objs {
		if !written[i] || !paywarden.KeepsHistory(o.Type) {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mirror_history (`+historyColumns+`, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.Type, o.ID, o.Livemode, o.Customer, o.Status, o.Currency, o.Amount,
			micros(o.Created), nonNil(o.Data), micros(o.Version), o.Fetched, o.EventID, micros(now))
		if err != nil {
			return err
		}
	}
	return nil
}

// ObjectsAt returns, for each of ids with a recorded state at or before
// at, the latest such state. EINVALID if typ is empty.
func (db *DB) ObjectsAt(ctx context.Context, typ string, ids []string, at time.Time) (_ []*paywarden.MirrorObject, err error) {
	defer wrap(&err, "sqlite.ObjectsAt(%q, %d ids)", typ, len(ids))
	if typ == "" {
		return nil, paywarden.Errorf(paywarden.EINVALID, "reading the history needs a type")
	}
	var out []*paywarden.MirrorObject
	for len(ids) > 0 {
		chunk := ids[:min(historyChunk, len(ids))]
		ids = ids[len(chunk):]
		args := []any{typ, micros(at)}
		for _, id := range chunk {
			args = append(args, id)
		}
		// The guard writes versions in order, so the latest state is the
		// one with the greatest (version, seq).
		q := `SELECT ` + historyColumns + ` FROM (
				SELECT ` + historyColumns + `, row_number() OVER (PARTITION BY id ORDER BY version DESC, seq DESC) AS rn
				FROM mirror_history
				WHERE type = ? AND version <= ? AND id IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)
			) WHERE rn = 1`
		os, err := db.queryHistory(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, os...)
	}
	return out, nil
}

// ObjectHistory returns every recorded state of one object, oldest first.
func (db *DB) ObjectHistory(ctx context.Context, typ, id string) (_ []*paywarden.MirrorObject, err error) {
	defer wrap(&err, "sqlite.ObjectHistory(%q, %q)", typ, id)
	return db.queryHistory(ctx, `SELECT `+historyColumns+` FROM mirror_history
		WHERE type = ? AND id = ? ORDER BY version, seq`, typ, id)
}

func (db *DB) queryHistory(ctx context.Context, q string, args ...any) ([]*paywarden.MirrorObject, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
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

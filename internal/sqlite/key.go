package sqlite

import (
	"context"
	"database/sql"

	"github.com/paywarden/paywarden"
)

const keyColumns = `fingerprint, capability, source, kind, livemode, first_seen, last_seen`

func scanKey(s scanner) (*paywarden.KeyRecord, error) {
	var (
		k           paywarden.KeyRecord
		kind        string
		first, last sql.NullInt64
	)
	if err := s.Scan(&k.Fingerprint, &k.Capability, &k.Source, &kind, &k.Livemode, &first, &last); err != nil {
		return nil, err
	}
	k.Kind = paywarden.KeyKind(kind)
	k.FirstSeen = fromMicros(first)
	k.LastSeen = fromMicros(last)
	return &k, nil
}

// RecordKey inserts k or, when its fingerprint and capability are known,
// updates LastSeen (never backwards), Source, Kind and Livemode, keeping
// the earliest FirstSeen. Zero times are now. EINVALID without a
// fingerprint or capability.
func (db *DB) RecordKey(ctx context.Context, k *paywarden.KeyRecord) (_ *paywarden.KeyRecord, err error) {
	defer wrap(&err, "sqlite.RecordKey(%q)", k.Capability)
	if err := k.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d := k.WithDefaults(db.now())
	stored, err := scanKey(tx.QueryRowContext(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint, capability) DO UPDATE SET
			source = excluded.source, kind = excluded.kind, livemode = excluded.livemode,
			first_seen = min(keys.first_seen, excluded.first_seen),
			last_seen = max(keys.last_seen, excluded.last_seen)
		RETURNING `+keyColumns,
		k.Fingerprint, k.Capability, k.Source, string(k.Kind), k.Livemode,
		micros(d.FirstSeen), micros(d.LastSeen)))
	if err != nil {
		return nil, err
	}
	return stored, tx.Commit()
}

// Keys returns every recorded key, newest FirstSeen first.
func (db *DB) Keys(ctx context.Context) (_ []*paywarden.KeyRecord, err error) {
	defer wrap(&err, "sqlite.Keys")
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys ORDER BY first_seen DESC, fingerprint, capability`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ks []*paywarden.KeyRecord
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	return ks, rows.Err()
}

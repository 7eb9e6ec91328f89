package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paywarden/paywarden"
)

const keyColumns = `fingerprint, capability, source, kind, livemode, first_seen, last_seen`

func scanKey(row pgx.Row) (*paywarden.KeyRecord, error) {
	var (
		k           paywarden.KeyRecord
		kind        string
		first, last pgtype.Timestamptz
	)
	if err := row.Scan(&k.Fingerprint, &k.Capability, &k.Source, &kind, &k.Livemode, &first, &last); err != nil {
		return nil, err
	}
	k.Kind = paywarden.KeyKind(kind)
	k.FirstSeen = fromTS(first)
	k.LastSeen = fromTS(last)
	return &k, nil
}

// RecordKey inserts k or, when its fingerprint and capability are known,
// updates LastSeen (never backwards), Source, Kind and Livemode, keeping
// the earliest FirstSeen. Zero times are now. EINVALID without a
// fingerprint or capability.
func (db *DB) RecordKey(ctx context.Context, k *paywarden.KeyRecord) (stored *paywarden.KeyRecord, err error) {
	defer wrap(&err, "postgres.RecordKey(%q)", k.Capability)
	if err := k.Validate(); err != nil {
		return nil, err
	}
	d := k.WithDefaults(db.now())
	err = db.transact(ctx, func(tx pgx.Tx) error {
		stored, err = scanKey(tx.QueryRow(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (fingerprint, capability) DO UPDATE SET
				source = excluded.source, kind = excluded.kind, livemode = excluded.livemode,
				first_seen = least(keys.first_seen, excluded.first_seen),
				last_seen = greatest(keys.last_seen, excluded.last_seen)
			RETURNING `+keyColumns,
			k.Fingerprint, k.Capability, k.Source, string(k.Kind), k.Livemode,
			ts(d.FirstSeen), ts(d.LastSeen)))
		return err
	})
	return stored, err
}

// Keys returns every recorded key, newest FirstSeen first.
func (db *DB) Keys(ctx context.Context) (_ []*paywarden.KeyRecord, err error) {
	defer wrap(&err, "postgres.Keys")
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM keys ORDER BY first_seen DESC, fingerprint, capability`)
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

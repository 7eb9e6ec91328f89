package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanKey(row pgx.Row) (*paywarden.KeyRecord, error) { return scanRow(row, rowmap.KeyDest) }

// RecordKey implements paywarden.KeyStore.
func (db *DB) RecordKey(ctx context.Context, k *paywarden.KeyRecord) (stored *paywarden.KeyRecord, err error) {
	defer derrors.Wrap(&err, "postgres.RecordKey(%q)", k.Capability)
	if err := k.Validate(); err != nil {
		return nil, err
	}
	d := k.WithDefaults(db.now())
	err = db.transact(ctx, func(tx pgx.Tx) error {
		stored, err = scanKey(tx.QueryRow(ctx, `INSERT INTO keys (`+rowmap.KeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (fingerprint, capability) DO UPDATE SET
				source = excluded.source, kind = excluded.kind, livemode = excluded.livemode,
				first_seen = least(keys.first_seen, excluded.first_seen),
				last_seen = greatest(keys.last_seen, excluded.last_seen)
			RETURNING `+rowmap.KeyColumns,
			rowmap.KeyValues(&d, times)...))
		return err
	})
	return stored, err
}

// Keys implements paywarden.KeyStore.
func (db *DB) Keys(ctx context.Context) (_ []*paywarden.KeyRecord, err error) {
	defer derrors.Wrap(&err, "postgres.Keys")
	return queryAll(ctx, db.pool, scanKey, `SELECT `+rowmap.KeyColumns+` FROM keys ORDER BY first_seen DESC, fingerprint, capability`)
}

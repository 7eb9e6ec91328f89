package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paywarden/paywarden/internal/derrors"
)

// UpdateBucket implements stripeapi.BucketStore: the row of the bucket is
// locked for the update, so that every replica's updates are serialized,
// and time is the database's, so that the replicas' clocks do not matter.
func (db *DB) UpdateBucket(ctx context.Context, name string, update func(tokens float64, elapsed time.Duration) float64) (err error) {
	defer derrors.Wrap(&err, "postgres.UpdateBucket(%q)", name)
	return db.transact(ctx, func(tx pgx.Tx) error {
		// A bucket lost in a crash comes back full: at worst one burst.
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		// The upsert locks the row; now is read after the lock is held.
		var tokens float64
		var at, now time.Time
		err := tx.QueryRow(ctx, `INSERT INTO rate_buckets (name, tokens, updated_at)
			VALUES ($1, 'Infinity', clock_timestamp())
			ON CONFLICT (name) DO UPDATE SET name = excluded.name
			RETURNING tokens, updated_at, clock_timestamp()`, name).Scan(&tokens, &at, &now)
		if err != nil {
			return err
		}
		left := update(tokens, max(now.Sub(at), 0))
		_, err = tx.Exec(ctx, `UPDATE rate_buckets SET tokens = $2, updated_at = $3 WHERE name = $1`, name, left, now)
		return err
	})
}

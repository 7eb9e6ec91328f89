package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

// SearchEvents implements paywarden.EventQueryStore.
func (db *DB) SearchEvents(ctx context.Context, q paywarden.EventQuery) (_ []*paywarden.Event, err error) {
	defer derrors.Wrap(&err, "postgres.SearchEvents")
	return db.searchEvents(ctx, q)
}

func scanBucketCount(row pgx.Row) (*rowmap.BucketCount, error) {
	return scanRow(row, rowmap.BucketCountDest)
}

// CountEventsReceived implements paywarden.EventQueryStore.
func (db *DB) CountEventsReceived(ctx context.Context, from, to time.Time, step time.Duration) (_ []paywarden.EventCount, err error) {
	defer derrors.Wrap(&err, "postgres.CountEventsReceived")
	if err := paywarden.ValidateBucket(step); err != nil {
		return nil, err
	}
	// Whole microseconds since from, divided as integers, as SQLite does.
	cs, err := queryAll(ctx, db.pool, scanBucketCount, `SELECT (extract(epoch FROM received_at - $1) * 1000000)::bigint / $2 AS bucket,
			status, count(*)
		FROM events WHERE received_at >= $1 AND received_at < $3
		GROUP BY bucket, status ORDER BY bucket, status`, ts(from), step.Microseconds(), ts(to))
	if err != nil {
		return nil, err
	}
	return rowmap.EventCounts(cs, from, step), nil
}

// ReplayEventsOfType implements paywarden.EventQueryStore.
func (db *DB) ReplayEventsOfType(ctx context.Context, status paywarden.EventStatus, typ string) (_ int, err error) {
	defer derrors.Wrap(&err, "postgres.ReplayEventsOfType(%q, %q)", status, typ)
	if err := paywarden.ValidateReplayType(status, typ); err != nil {
		return 0, err
	}
	return db.execCount(ctx, `UPDATE events `+replaySet+` WHERE status = $2 AND type = $3`,
		ts(db.now()), string(status), typ)
}

package sqlite

import (
	"context"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

// SearchEvents implements paywarden.EventQueryStore.
func (db *DB) SearchEvents(ctx context.Context, q paywarden.EventQuery) (_ []*paywarden.Event, err error) {
	defer derrors.Wrap(&err, "sqlite.SearchEvents")
	return db.searchEvents(ctx, q)
}

func scanBucketCount(s scanner) (*rowmap.BucketCount, error) {
	return scanRow(s, rowmap.BucketCountDest)
}

// CountEventsReceived implements paywarden.EventQueryStore.
func (db *DB) CountEventsReceived(ctx context.Context, from, to time.Time, step time.Duration) (_ []paywarden.EventCount, err error) {
	defer derrors.Wrap(&err, "sqlite.CountEventsReceived")
	if err := paywarden.ValidateBucket(step); err != nil {
		return nil, err
	}
	cs, err := queryAll(ctx, db.read, scanBucketCount, `SELECT (received_at - ?1) / ?2 AS bucket, status, count(*)
		FROM events WHERE received_at >= ?1 AND received_at < ?3
		GROUP BY bucket, status ORDER BY bucket, status`, micros(from), step.Microseconds(), micros(to))
	if err != nil {
		return nil, err
	}
	return rowmap.EventCounts(cs, from, step), nil
}

// ReplayEventsOfType implements paywarden.EventQueryStore.
func (db *DB) ReplayEventsOfType(ctx context.Context, status paywarden.EventStatus, typ string) (_ int, err error) {
	defer derrors.Wrap(&err, "sqlite.ReplayEventsOfType(%q, %q)", status, typ)
	if err := paywarden.ValidateReplayType(status, typ); err != nil {
		return 0, err
	}
	return db.execCount(ctx, `UPDATE events `+replaySet+` WHERE status = ? AND type = ?`,
		micros(db.now()), string(status), typ)
}

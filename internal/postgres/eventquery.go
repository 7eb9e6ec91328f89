package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
)

// SearchEvents returns the events that match q, newest received first;
// see paywarden.EventQueryStore.
func (db *DB) SearchEvents(ctx context.Context, q paywarden.EventQuery) (_ []*paywarden.Event, err error) {
	defer wrap(&err, "postgres.SearchEvents")
	if q.Status != "" && !q.Status.Valid() {
		return nil, paywarden.Errorf(paywarden.EINVALID, "unknown event status %q", q.Status)
	}
	var (
		where []string
		a     args
	)
	if q.Status != "" {
		where = append(where, "status = "+a.add(string(q.Status)))
	}
	if q.Type != "" {
		where = append(where, "type = "+a.add(q.Type))
	}
	if q.ObjectID != "" {
		where = append(where, "object_id = "+a.add(q.ObjectID))
	}
	if !q.ReceivedFrom.IsZero() {
		where = append(where, "received_at >= "+a.add(ts(q.ReceivedFrom)))
	}
	if !q.ReceivedTo.IsZero() {
		where = append(where, "received_at < "+a.add(ts(q.ReceivedTo)))
	}
	if q.StartingAfter != "" {
		var received time.Time
		err := db.pool.QueryRow(ctx, `SELECT received_at FROM events WHERE id = $1`, q.StartingAfter).Scan(&received)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, paywarden.Errorf(paywarden.EINVALID, "starting_after: no event %s", q.StartingAfter)
		} else if err != nil {
			return nil, err
		}
		where = append(where, "(received_at, id) < ("+a.add(received)+", "+a.add(q.StartingAfter)+")")
	}
	query := `SELECT ` + eventColumns + ` FROM events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.pool.Query(ctx, query+` ORDER BY received_at DESC, id DESC LIMIT `+a.add(limit), a...)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

// CountEventsReceived counts events by step-long bucket of receipt and by
// status; see paywarden.EventQueryStore.
func (db *DB) CountEventsReceived(ctx context.Context, from, to time.Time, step time.Duration) (_ []paywarden.EventCount, err error) {
	defer wrap(&err, "postgres.CountEventsReceived")
	if step < time.Microsecond {
		return nil, paywarden.Errorf(paywarden.EINVALID, "a bucket must be at least a microsecond long")
	}
	f, s := ts(from), step.Microseconds()
	// Whole microseconds since from, divided as integers, as SQLite does.
	rows, err := db.pool.Query(ctx, `SELECT (extract(epoch FROM received_at - $1) * 1000000)::bigint / $2 AS bucket,
			status, count(*)
		FROM events WHERE received_at >= $1 AND received_at < $3
		GROUP BY bucket, status ORDER BY bucket, status`, f, s, ts(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []paywarden.EventCount
	for rows.Next() {
		var (
			bucket int64
			status string
			c      paywarden.EventCount
		)
		if err := rows.Scan(&bucket, &status, &c.Count); err != nil {
			return nil, err
		}
		c.Start, c.Status = f.Add(time.Duration(bucket*s)*time.Microsecond), paywarden.EventStatus(status)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReplayEventsOfType replays every event of the given status and type;
// see paywarden.EventQueryStore.
func (db *DB) ReplayEventsOfType(ctx context.Context, status paywarden.EventStatus, typ string) (n int, err error) {
	defer wrap(&err, "postgres.ReplayEventsOfType(%q, %q)", status, typ)
	if !status.Valid() || typ == "" {
		return 0, paywarden.Errorf(paywarden.EINVALID, "replaying by type needs a known status and a type")
	}
	now := db.now()
	err = db.transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE events `+replaySet+` WHERE status = $2 AND type = $3`, ts(now), string(status), typ)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}

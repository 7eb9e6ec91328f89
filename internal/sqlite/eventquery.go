package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// SearchEvents returns the events that match q, newest received first;
// see paywarden.EventQueryStore.
func (db *DB) SearchEvents(ctx context.Context, q paywarden.EventQuery) (_ []*paywarden.Event, err error) {
	defer wrap(&err, "sqlite.SearchEvents")
	if q.Status != "" && !q.Status.Valid() {
		return nil, paywarden.Errorf(paywarden.EINVALID, "unknown event status %q", q.Status)
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, vs ...any) { where, args = append(where, cond), append(args, vs...) }
	if q.Status != "" {
		add("status = ?", string(q.Status))
	}
	if q.Type != "" {
		add("type = ?", q.Type)
	}
	if q.ObjectID != "" {
		add("object_id = ?", q.ObjectID)
	}
	if !q.ReceivedFrom.IsZero() {
		add("received_at >= ?", micros(q.ReceivedFrom))
	}
	if !q.ReceivedTo.IsZero() {
		add("received_at < ?", micros(q.ReceivedTo))
	}
	if q.StartingAfter != "" {
		var received int64
		err := db.read.QueryRowContext(ctx, `SELECT received_at FROM events WHERE id = ?`, q.StartingAfter).Scan(&received)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, paywarden.Errorf(paywarden.EINVALID, "starting_after: no event %s", q.StartingAfter)
		} else if err != nil {
			return nil, err
		}
		add("(received_at < ? OR (received_at = ? AND id < ?))", received, received, q.StartingAfter)
	}
	query := `SELECT ` + eventColumns + ` FROM events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, query+` ORDER BY received_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

// CountEventsReceived counts events by step-long bucket of receipt and by
// status; see paywarden.EventQueryStore.
func (db *DB) CountEventsReceived(ctx context.Context, from, to time.Time, step time.Duration) (_ []paywarden.EventCount, err error) {
	defer wrap(&err, "sqlite.CountEventsReceived")
	if step < time.Microsecond {
		return nil, paywarden.Errorf(paywarden.EINVALID, "a bucket must be at least a microsecond long")
	}
	f, s := micros(from), step.Microseconds()
	rows, err := db.read.QueryContext(ctx, `SELECT (received_at - ?1) / ?2 AS bucket, status, count(*)
		FROM events WHERE received_at >= ?1 AND received_at < ?3
		GROUP BY bucket, status ORDER BY bucket, status`, f, s, micros(to))
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
		c.Start, c.Status = time.UnixMicro(f+bucket*s).UTC(), paywarden.EventStatus(status)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReplayEventsOfType replays every event of the given status and type;
// see paywarden.EventQueryStore.
func (db *DB) ReplayEventsOfType(ctx context.Context, status paywarden.EventStatus, typ string) (_ int, err error) {
	defer wrap(&err, "sqlite.ReplayEventsOfType(%q, %q)", status, typ)
	if !status.Valid() || typ == "" {
		return 0, paywarden.Errorf(paywarden.EINVALID, "replaying by type needs a known status and a type")
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE events `+replaySet+` WHERE status = ? AND type = ?`,
		micros(db.now()), string(status), typ)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanEvent(s scanner) (*paywarden.Event, error) { return scanRow(s, rowmap.EventDest) }

// InsertEvents implements paywarden.EventStore.
func (db *DB) InsertEvents(ctx context.Context, events []*paywarden.Event) (created []bool, err error) {
	defer derrors.Wrap(&err, "sqlite.InsertEvents(%d events)", len(events))
	if err := paywarden.ValidateEvents(events); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	created, err = insertEvents(ctx, tx.Tx, events, db.now())
	if err != nil {
		return nil, err
	}
	return created, tx.Commit()
}

func insertEvents(ctx context.Context, tx *sql.Tx, events []*paywarden.Event, now time.Time) ([]bool, error) {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO events (`+rowmap.EventColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	created := make([]bool, len(events))
	for i, e := range events {
		e := e.WithDefaults(now)
		res, err := stmt.ExecContext(ctx, rowmap.EventValues(&e, times)...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		created[i] = n == 1
	}
	return created, nil
}

// Event implements paywarden.EventStore.
func (db *DB) Event(ctx context.Context, id string) (_ *paywarden.Event, err error) {
	defer derrors.Wrap(&err, "sqlite.Event(%q)", id)
	e, err := scanEvent(db.read.QueryRowContext(ctx, `SELECT `+rowmap.EventColumns+` FROM events WHERE id = ?`, id))
	return e, noRows(err, paywarden.ENOTFOUND, "event %s not found", id)
}

// ListEvents implements paywarden.EventStore.
func (db *DB) ListEvents(ctx context.Context, f paywarden.EventFilter) (_ []*paywarden.Event, err error) {
	defer derrors.Wrap(&err, "sqlite.ListEvents")
	return db.searchEvents(ctx, f.Query())
}

// searchEvents answers ListEvents and SearchEvents in one read
// transaction, so that the starting_after row and the page come from one
// snapshot.
func (db *DB) searchEvents(ctx context.Context, q paywarden.EventQuery) ([]*paywarden.Event, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	es, err := listEvents(ctx, tx.Tx, q)
	if err != nil {
		return nil, err
	}
	return es, tx.Commit()
}

func listEvents(ctx context.Context, tx *sql.Tx, q paywarden.EventQuery) ([]*paywarden.Event, error) {
	w := rowmap.NewWhere(param)
	rowmap.EventWhere(w, q, times)
	if q.StartingAfter != "" {
		var received int64
		err := tx.QueryRowContext(ctx, `SELECT received_at FROM events WHERE id = ?`, q.StartingAfter).Scan(&received)
		if err := noRows(err, paywarden.EINVALID, "starting_after: no event %s", q.StartingAfter); err != nil {
			return nil, err
		}
		w.And("(received_at < " + w.Arg(received) + " OR (received_at = " + w.Arg(received) + " AND id < " + w.Arg(q.StartingAfter) + "))")
	}
	query := `SELECT ` + rowmap.EventColumns + ` FROM events` + w.String() +
		` ORDER BY received_at DESC, id DESC LIMIT ` + w.Arg(q.WithDefaults().Limit)
	return queryAll(ctx, tx, scanEvent, query, w.Args()...)
}

// claimSelect selects the events to claim. It walks events_due, whose
// rows are the pending and failed events in claim order, and stops at the
// limit.
const claimSelect = `SELECT id FROM events INDEXED BY events_due
	WHERE status IN ('pending', 'failed') AND next_attempt_at <= :now
		AND (lease_until IS NULL OR lease_until <= :now)
	ORDER BY created, id
	LIMIT :limit`

// ClaimEvents implements paywarden.EventStore. Claims are write
// transactions, which the write lock serializes, so two claimers never get
// the same event.
func (db *DB) ClaimEvents(ctx context.Context, owner string, limit int, lease time.Duration) (_ []*paywarden.Event, err error) {
	defer derrors.Wrap(&err, "sqlite.ClaimEvents(%q, %d)", owner, limit)
	if err := paywarden.ValidateClaim(owner, lease); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := db.now()
	es, err := queryAll(ctx, tx, scanEvent, `UPDATE events
		SET lease_owner = :owner, lease_until = :until, attempts = attempts + 1
		WHERE id IN (`+claimSelect+`)
		RETURNING `+rowmap.EventColumns,
		sql.Named("owner", owner), sql.Named("until", micros(now.Add(lease))),
		sql.Named("now", micros(now)), sql.Named("limit", limit))
	if err != nil {
		return nil, err
	}
	rowmap.SortClaimed(es)
	return es, tx.Commit()
}

// CompleteEvent implements paywarden.EventStore.
func (db *DB) CompleteEvent(ctx context.Context, id, owner string, objects []*paywarden.MirrorObject) (err error) {
	defer derrors.Wrap(&err, "sqlite.CompleteEvent(%q, %q)", id, owner)
	if err := paywarden.ValidateObjects(objects); err != nil {
		return err
	}
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := db.now()
	res, err := tx.ExecContext(ctx, `UPDATE events
		SET status = 'processed', processed_at = ?, lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ?`, micros(now), id, owner)
	if err != nil {
		return err
	}
	if err := leaseHeld(ctx, tx.Tx, res, id); err != nil {
		return err
	}
	if _, err := upsertObjects(ctx, tx.Tx, objects, now); err != nil {
		return err
	}
	return tx.Commit()
}

// CompleteEvents implements paywarden.EventStore: one transaction, and
// so one commit, for a whole batch of completions.
func (db *DB) CompleteEvents(ctx context.Context, owner string, cs []paywarden.Completion) (errs []error, err error) {
	defer derrors.Wrap(&err, "sqlite.CompleteEvents(%q, %d)", owner, len(cs))
	if err := paywarden.ValidateCompletions(cs); err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, nil
	}
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := db.now()
	stmt, err := tx.PrepareContext(ctx, `UPDATE events
		SET status = 'processed', processed_at = ?, lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ?`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	errs = make([]error, len(cs))
	for i, c := range cs {
		res, err := stmt.ExecContext(ctx, micros(now), c.EventID, owner)
		if err != nil {
			return nil, err
		}
		if err := leaseHeld(ctx, tx.Tx, res, c.EventID); err != nil {
			if !rowmap.IsLeaseLost(err) {
				return nil, err
			}
			errs[i] = err
			continue
		}
		if _, err := upsertObjects(ctx, tx.Tx, c.Objects, now); err != nil {
			return nil, err
		}
	}
	return errs, tx.Commit()
}

// leaseHeld turns an update of an event under its lease that changed no row
// into EUNAVAILABLE, or ENOTFOUND when the event does not exist.
func leaseHeld(ctx context.Context, tx *sql.Tx, res sql.Result, id string) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = ?)`, id).Scan(&exists); err != nil {
		return err
	}
	return rowmap.LeaseLost(id, exists)
}

// FailEvent implements paywarden.EventStore.
func (db *DB) FailEvent(ctx context.Context, id, owner, reason string, retryAt time.Time, dead bool) (err error) {
	defer derrors.Wrap(&err, "sqlite.FailEvent(%q, %q)", id, owner)
	status := rowmap.FailStatus(dead)
	if retryAt.IsZero() {
		retryAt = db.now()
	}
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE events
		SET status = ?, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ?`,
		string(status), reason, micros(retryAt), id, owner)
	if err != nil {
		return err
	}
	if err := leaseHeld(ctx, tx.Tx, res, id); err != nil {
		return err
	}
	return tx.Commit()
}

// ReleaseEvent implements paywarden.EventStore.
func (db *DB) ReleaseEvent(ctx context.Context, id, owner string) (err error) {
	defer derrors.Wrap(&err, "sqlite.ReleaseEvent(%q, %q)", id, owner)
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE events
		SET lease_owner = NULL, lease_until = NULL, attempts = max(attempts - 1, 0)
		WHERE id = ? AND lease_owner = ?`, id, owner)
	if err != nil {
		return err
	}
	if err := leaseHeld(ctx, tx.Tx, res, id); err != nil {
		return err
	}
	return tx.Commit()
}

// replaySet is the change ReplayEvent and ReplayEvents make: pending, due
// now, a fresh count of attempts, no lease.
const replaySet = `SET status = 'pending', next_attempt_at = ?, attempts = 0, processed_at = NULL,
	lease_owner = NULL, lease_until = NULL`

// ReplayEvent implements paywarden.EventStore.
func (db *DB) ReplayEvent(ctx context.Context, id string) (err error) {
	defer derrors.Wrap(&err, "sqlite.ReplayEvent(%q)", id)
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE events `+replaySet+` WHERE id = ?`, micros(db.now()), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return paywarden.Errorf(paywarden.ENOTFOUND, "event %s not found", id)
	}
	return tx.Commit()
}

// ReplayEvents implements paywarden.EventStore.
func (db *DB) ReplayEvents(ctx context.Context, status paywarden.EventStatus) (_ int, err error) {
	defer derrors.Wrap(&err, "sqlite.ReplayEvents(%q)", status)
	if err := status.Validate(); err != nil {
		return 0, err
	}
	return db.execCount(ctx, `UPDATE events `+replaySet+` WHERE status = ?`, micros(db.now()), string(status))
}

// CountEvents implements paywarden.EventStore.
func (db *DB) CountEvents(ctx context.Context) (_ map[paywarden.EventStatus]int, err error) {
	defer derrors.Wrap(&err, "sqlite.CountEvents")
	cs, err := queryAll(ctx, db.read, func(s scanner) (*rowmap.StatusCount, error) { return scanRow(s, rowmap.StatusCountDest) }, `SELECT status, count(*) FROM events GROUP BY status`)
	if err != nil {
		return nil, err
	}
	return rowmap.StatusCounts(cs), nil
}

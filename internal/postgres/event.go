package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanEvent(row pgx.Row) (*paywarden.Event, error) { return scanRow(row, rowmap.EventDest) }

// InsertEvents implements paywarden.EventStore. The batch is sent as one
// pgx.Batch.
func (db *DB) InsertEvents(ctx context.Context, events []*paywarden.Event) (created []bool, err error) {
	defer derrors.Wrap(&err, "postgres.InsertEvents(%d events)", len(events))
	if err := paywarden.ValidateEvents(events); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return []bool{}, nil
	}
	now := db.now()
	err = db.transact(ctx, func(tx pgx.Tx) error {
		created, err = insertEvents(ctx, tx, events, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

func insertEvents(ctx context.Context, tx pgx.Tx, events []*paywarden.Event, now time.Time) ([]bool, error) {
	const q = `INSERT INTO events (` + rowmap.EventColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (id) DO NOTHING`
	var b pgx.Batch
	for _, e := range events {
		e := e.WithDefaults(now)
		b.Queue(q, rowmap.EventValues(&e, times)...)
	}
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	created := make([]bool, len(events))
	for i := range events {
		tag, err := br.Exec()
		if err != nil {
			return nil, err
		}
		created[i] = tag.RowsAffected() == 1
	}
	return created, br.Close()
}

// Event implements paywarden.EventStore.
func (db *DB) Event(ctx context.Context, id string) (_ *paywarden.Event, err error) {
	defer derrors.Wrap(&err, "postgres.Event(%q)", id)
	e, err := scanEvent(db.pool.QueryRow(ctx, `SELECT `+rowmap.EventColumns+` FROM events WHERE id = $1`, id))
	return e, noRows(err, paywarden.ENOTFOUND, "event %s not found", id)
}

// ListEvents implements paywarden.EventStore.
func (db *DB) ListEvents(ctx context.Context, f paywarden.EventFilter) (_ []*paywarden.Event, err error) {
	defer derrors.Wrap(&err, "postgres.ListEvents")
	return db.searchEvents(ctx, f.Query())
}

// searchEvents answers ListEvents and SearchEvents in one transaction, so
// that the starting_after row and the page come from one snapshot.
func (db *DB) searchEvents(ctx context.Context, q paywarden.EventQuery) (es []*paywarden.Event, err error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	err = db.transact(ctx, func(tx pgx.Tx) error {
		es, err = listEvents(ctx, tx, q)
		return err
	})
	return es, err
}

func listEvents(ctx context.Context, tx pgx.Tx, q paywarden.EventQuery) ([]*paywarden.Event, error) {
	w := rowmap.NewWhere(param)
	rowmap.EventWhere(w, q, times)
	if q.StartingAfter != "" {
		var received time.Time
		err := tx.QueryRow(ctx, `SELECT received_at FROM events WHERE id = $1`, q.StartingAfter).Scan(&received)
		if err := noRows(err, paywarden.EINVALID, "starting_after: no event %s", q.StartingAfter); err != nil {
			return nil, err
		}
		w.And("(received_at, id) < (" + w.Arg(received) + ", " + w.Arg(q.StartingAfter) + ")")
	}
	query := `SELECT ` + rowmap.EventColumns + ` FROM events` + w.String() +
		` ORDER BY received_at DESC, id DESC LIMIT ` + w.Arg(q.WithDefaults().Limit)
	return queryAll(ctx, tx, scanEvent, query, w.Args()...)
}

// ClaimEvents implements paywarden.EventStore. Rows another replica is
// claiming at the same moment are skipped (FOR UPDATE SKIP LOCKED), not
// waited for.
func (db *DB) ClaimEvents(ctx context.Context, owner string, limit int, lease time.Duration) (es []*paywarden.Event, err error) {
	defer derrors.Wrap(&err, "postgres.ClaimEvents(%q, %d)", owner, limit)
	if err := paywarden.ValidateClaim(owner, lease); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	now := db.now()
	err = db.transact(ctx, func(tx pgx.Tx) error {
		// A lost worker write leaves the event, whose insert was synced,
		// to be processed again; see unsynced.
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		es, err = queryAll(ctx, tx, scanEvent, `UPDATE events
			SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
			WHERE id IN (
				SELECT id FROM events
				WHERE status IN ('pending', 'failed') AND next_attempt_at <= $3
					AND (lease_until IS NULL OR lease_until <= $3)
				ORDER BY created, id
				LIMIT $4
				FOR UPDATE SKIP LOCKED)
			RETURNING `+rowmap.EventColumns,
			owner, ts(now.Add(lease)), ts(now), limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	rowmap.SortClaimed(es)
	return es, nil
}

// CompleteEvent implements paywarden.EventStore.
func (db *DB) CompleteEvent(ctx context.Context, id, owner string, objects []*paywarden.MirrorObject) (err error) {
	defer derrors.Wrap(&err, "postgres.CompleteEvent(%q, %q)", id, owner)
	if err := paywarden.ValidateObjects(objects); err != nil {
		return err
	}
	now := db.now()
	return db.transact(ctx, func(tx pgx.Tx) error {
		// A lost worker write leaves the event, whose insert was synced,
		// to be processed again; see unsynced.
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE events
			SET status = 'processed', processed_at = $1, lease_owner = NULL, lease_until = NULL
			WHERE id = $2 AND lease_owner = $3`, ts(now), id, owner)
		if err != nil {
			return err
		}
		if err := leaseHeld(ctx, tx, tag, id); err != nil {
			return err
		}
		_, err = upsertObjects(ctx, tx, objects, now)
		return err
	})
}

// CompleteEvents implements paywarden.EventStore: one transaction, and
// so one commit, for a whole batch of completions.
func (db *DB) CompleteEvents(ctx context.Context, owner string, cs []paywarden.Completion) (errs []error, err error) {
	defer derrors.Wrap(&err, "postgres.CompleteEvents(%q, %d)", owner, len(cs))
	if err := paywarden.ValidateCompletions(cs); err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, nil
	}
	now := db.now()
	err = db.transact(ctx, func(tx pgx.Tx) error {
		// As CompleteEvent: a lost worker write is processed again.
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		errs = make([]error, len(cs))
		for i, c := range cs {
			tag, err := tx.Exec(ctx, `UPDATE events
				SET status = 'processed', processed_at = $1, lease_owner = NULL, lease_until = NULL
				WHERE id = $2 AND lease_owner = $3`, ts(now), c.EventID, owner)
			if err != nil {
				return err
			}
			if err := leaseHeld(ctx, tx, tag, c.EventID); err != nil {
				if !rowmap.IsLeaseLost(err) {
					return err
				}
				errs[i] = err
				continue
			}
			if _, err := upsertObjects(ctx, tx, c.Objects, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// leaseHeld turns an update of an event under its lease that changed no row
// into EUNAVAILABLE, or ENOTFOUND when the event does not exist.
func leaseHeld(ctx context.Context, tx pgx.Tx, tag pgconn.CommandTag, id string) error {
	if tag.RowsAffected() > 0 {
		return nil
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	return rowmap.LeaseLost(id, exists)
}

// FailEvent implements paywarden.EventStore.
func (db *DB) FailEvent(ctx context.Context, id, owner, reason string, retryAt time.Time, dead bool) (err error) {
	defer derrors.Wrap(&err, "postgres.FailEvent(%q, %q)", id, owner)
	status := rowmap.FailStatus(dead)
	if retryAt.IsZero() {
		retryAt = db.now()
	}
	return db.transact(ctx, func(tx pgx.Tx) error {
		// A lost worker write leaves the event, whose insert was synced,
		// to be processed again; see unsynced.
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE events
			SET status = $1, last_error = $2, next_attempt_at = $3, lease_owner = NULL, lease_until = NULL
			WHERE id = $4 AND lease_owner = $5`,
			string(status), reason, ts(retryAt), id, owner)
		if err != nil {
			return err
		}
		return leaseHeld(ctx, tx, tag, id)
	})
}

// ReleaseEvent implements paywarden.EventStore.
func (db *DB) ReleaseEvent(ctx context.Context, id, owner string) (err error) {
	defer derrors.Wrap(&err, "postgres.ReleaseEvent(%q, %q)", id, owner)
	return db.transact(ctx, func(tx pgx.Tx) error {
		// A lost worker write leaves the event, whose insert was synced,
		// to be processed again; see unsynced.
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE events
			SET lease_owner = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0)
			WHERE id = $1 AND lease_owner = $2`, id, owner)
		if err != nil {
			return err
		}
		return leaseHeld(ctx, tx, tag, id)
	})
}

// replaySet is the change ReplayEvent and ReplayEvents make: pending, due
// now, a fresh count of attempts, no lease.
const replaySet = `SET status = 'pending', next_attempt_at = $1, attempts = 0, processed_at = NULL,
	lease_owner = NULL, lease_until = NULL`

// ReplayEvent implements paywarden.EventStore.
func (db *DB) ReplayEvent(ctx context.Context, id string) (err error) {
	defer derrors.Wrap(&err, "postgres.ReplayEvent(%q)", id)
	now := db.now()
	return db.transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE events `+replaySet+` WHERE id = $2`, ts(now), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return paywarden.Errorf(paywarden.ENOTFOUND, "event %s not found", id)
		}
		return nil
	})
}

// ReplayEvents implements paywarden.EventStore.
func (db *DB) ReplayEvents(ctx context.Context, status paywarden.EventStatus) (_ int, err error) {
	defer derrors.Wrap(&err, "postgres.ReplayEvents(%q)", status)
	if err := status.Validate(); err != nil {
		return 0, err
	}
	return db.execCount(ctx, `UPDATE events `+replaySet+` WHERE status = $2`, ts(db.now()), string(status))
}

// CountEvents implements paywarden.EventStore.
func (db *DB) CountEvents(ctx context.Context) (_ map[paywarden.EventStatus]int, err error) {
	defer derrors.Wrap(&err, "postgres.CountEvents")
	cs, err := queryAll(ctx, db.pool, func(row pgx.Row) (*rowmap.StatusCount, error) { return scanRow(row, rowmap.StatusCountDest) }, `SELECT status, count(*) FROM events GROUP BY status`)
	if err != nil {
		return nil, err
	}
	return rowmap.StatusCounts(cs), nil
}

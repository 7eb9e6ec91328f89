package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/paywarden/paywarden"
)

// ReconcileEndpoint is the endpoint name of events recovered from Stripe's
// Events API rather than received as webhooks.
const ReconcileEndpoint = "reconcile"

// Retention is how long Stripe keeps events listable.
const Retention = 30 * 24 * time.Hour

// EventLister lists Stripe's events created at or after since, as JSON.
type EventLister interface {
	ListEvents(ctx context.Context, since time.Time, fn func(raw []byte) error) error
}

// EventInserter stores events; see paywarden.EventStore.InsertEvents.
type EventInserter interface {
	InsertEvents(ctx context.Context, events []*paywarden.Event) ([]bool, error)
}

// ReconcileResult counts what Reconcile found.
type ReconcileResult struct {
	Listed      int // events Stripe listed
	Created     int // of which were missing here and are now stored
	Quarantined int // of the created, stored as quarantined
	Skipped     int // refused: malformed, or of the other livemode
	// NearRetention is set when since is within a few days of Stripe's
	// 30-day retention: events older than that can no longer be recovered.
	NearRetention bool
}

// Reconcile lists Stripe's events since a time and stores those that were
// never delivered, exactly as the receiver would have (duplicates are
// absorbed by the store), so a gap in webhook delivery is closed.
func Reconcile(ctx context.Context, l EventLister, st EventInserter, since, now time.Time, pinned string, livemode bool) (ReconcileResult, error) {
	var res ReconcileResult
	res.NearRetention = now.Sub(since) > Retention-3*24*time.Hour
	var batch []*paywarden.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		created, err := st.InsertEvents(ctx, batch)
		if err != nil {
			return fmt.Errorf("storing reconciled events: %w", err)
		}
		for i, c := range created {
			if c {
				res.Created++
				if batch[i].Status == paywarden.EventQuarantined {
					res.Quarantined++
				}
			}
		}
		batch = batch[:0]
		return nil
	}
	err := l.ListEvents(ctx, since, func(raw []byte) error {
		res.Listed++
		env, err := DecodeEnvelope(raw)
		if err != nil || env.Livemode != livemode {
			res.Skipped++
			return nil
		}
		ev := env.Event(ReconcileEndpoint, append([]byte(nil), raw...), now, pinned)
		if ev.Validate() != nil { // as the receiver refuses it
			res.Skipped++
			return nil
		}
		batch = append(batch, ev)
		if len(batch) == 100 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	return res, flush()
}

// ReconcileEvery runs Reconcile every interval until ctx is done, to store
// any event Stripe never delivered, and calls wake when it stored some.
// Each run starts a little before the last good one ended, so nothing
// falls between two runs; the first looks back a day.
func ReconcileEvery(ctx context.Context, log *slog.Logger, l EventLister, st EventInserter, wake func(),
	pinned string, livemode bool, interval time.Duration) {
	since := time.Now().Add(-24 * time.Hour)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		res, err := Reconcile(ctx, l, st, since, now, pinned, livemode)
		switch {
		case err != nil:
			log.ErrorContext(ctx, "reconciling events with Stripe", "since", since, "err", err)
			if res.NearRetention {
				log.ErrorContext(ctx, "the reconcile gap nears Stripe's 30-day event retention: older events cannot be recovered", "since", since)
			}
			continue
		case res.Created > 0:
			log.WarnContext(ctx, "reconcile stored events that were never delivered", "count", res.Created, "quarantined", res.Quarantined)
			wake()
		}
		since = now.Add(-10 * time.Minute)
	}
}

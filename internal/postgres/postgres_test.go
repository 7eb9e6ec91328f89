package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
	"github.com/paywarden/paywarden/internal/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunConformanceTests(t, func(t *testing.T) paywarden.Store {
		return postgrestest.Open(t)
	})
}

// TestReplicasClaimDisjoint runs two stores, as two replicas would, on one
// database: workers of both claim until nothing is left, and every event
// goes to exactly one of them.
func TestReplicasClaimDisjoint(t *testing.T) {
	ctx := context.Background()
	url := postgrestest.URL(t)
	var replicas []*postgres.DB
	for range 2 {
		db, err := postgres.Open(ctx, url, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		replicas = append(replicas, db)
	}
	// Both migrate at once: the advisory lock lets one do the work.
	var wg sync.WaitGroup
	applied := make([]int, len(replicas))
	errs := make([]error, len(replicas))
	for i, db := range replicas {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if applied[0]+applied[1] == 0 || applied[0]*applied[1] != 0 {
		t.Errorf("migrations applied by the replicas: got %v, want all by one and none by the other", applied)
	}

	const n = 400
	now := time.Now()
	var events []*paywarden.Event
	for i := range n {
		events = append(events, &paywarden.Event{
			ID: fmt.Sprintf("evt_%04d", i), Type: "charge.succeeded", Created: now.Add(time.Duration(i%13) * time.Second),
			Endpoint: "default", Payload: []byte("{}"),
		})
	}
	if _, err := replicas[0].InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}

	const workersPerReplica = 4
	var (
		mu      sync.Mutex
		claimed = map[string][]string{} // event id -> owners
		failure error
	)
	for r, db := range replicas {
		for w := range workersPerReplica {
			owner := fmt.Sprintf("replica-%d/worker-%d", r, w)
			wg.Go(func() {
				for {
					es, err := db.ClaimEvents(ctx, owner, 5, time.Hour)
					if err == nil && len(es) == 0 {
						return
					}
					for _, e := range es {
						if err == nil {
							err = db.CompleteEvent(ctx, e.ID, owner, nil)
						}
						mu.Lock()
						claimed[e.ID] = append(claimed[e.ID], owner)
						mu.Unlock()
					}
					if err != nil {
						mu.Lock()
						failure = err
						mu.Unlock()
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if failure != nil {
		t.Fatal(failure)
	}
	if len(claimed) != n {
		t.Errorf("claimed %d distinct events, want %d", len(claimed), n)
	}
	for id, owners := range claimed {
		if len(owners) != 1 {
			t.Errorf("%s claimed by %v, want exactly one owner", id, owners)
		}
	}
	counts, err := replicas[1].CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[paywarden.EventProcessed] != n {
		t.Errorf("processed events: got %d, want %d", counts[paywarden.EventProcessed], n)
	}
}

// TestIdempotencyRace has replicas begin the same key at once: exactly one
// stores it, the others get its record.
func TestIdempotencyRace(t *testing.T) {
	ctx := context.Background()
	url := postgrestest.URL(t)
	const racers = 8
	var dbs []*postgres.DB
	for range racers {
		db, err := postgres.Open(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var (
		wg     sync.WaitGroup
		stored = make([]bool, racers)
		errs   = make([]error, racers)
	)
	for i, db := range dbs {
		wg.Go(func() {
			existing, err := db.BeginIdempotent(ctx, &paywarden.IdempotencyRecord{
				TokenID: "tok", Key: "k", RequestHash: []byte{1},
				LockedUntil: now.Add(time.Minute), ExpiresAt: now.Add(time.Hour),
			})
			stored[i], errs[i] = existing == nil, err
		})
	}
	wg.Wait()
	winners := 0
	for i := range racers {
		if errs[i] != nil {
			t.Errorf("racer %d: %v", i, errs[i])
		}
		if stored[i] {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("racers that stored the record: got %d, want 1", winners)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://user:secret@[bad", nil)
	if err == nil {
		t.Fatal("Open with a malformed URL: got nil error")
	}
	if got := err.Error(); strings.Contains(got, "secret") {
		t.Errorf("error %q shows the password", got)
	}
}

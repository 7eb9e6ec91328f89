package postgres_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// replicas opens n stores on one migrated database, as n replicas would.
func replicas(t *testing.T, n int) []*postgres.DB {
	t.Helper()
	ctx := context.Background()
	url := postgrestest.URL(t)
	var dbs []*postgres.DB
	for range n {
		db, err := postgres.Open(ctx, url, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return dbs
}

// TestReplicasShareTheRateBudget: three replicas, each with its own limiter
// over its own connection pool, take from one bucket. With a refill too slow
// to matter (a token per 1,000 s), 30 concurrent callers get exactly the
// burst of 10 between them, not 10 each; background callers leave the
// reserve to the API, across replicas.
func TestReplicasShareTheRateBudget(t *testing.T) {
	ctx := context.Background()
	dbs := replicas(t, 3)
	var limiters []*stripeapi.Limiter
	for _, db := range dbs {
		limiters = append(limiters, stripeapi.NewLimiter(db, "stripe-test", 0.001, 10, 4))
	}

	// Background callers of all replicas: 10 - 4 reserved = 6 tokens.
	var bg, fg atomic.Int32
	var wg sync.WaitGroup
	for _, l := range limiters {
		for range 10 {
			wg.Go(func() {
				_, taken, err := l.TryTake(ctx, true, 0)
				if err != nil {
					t.Error(err)
				}
				if taken {
					bg.Add(1)
				}
			})
		}
	}
	wg.Wait()
	// Then the API callers of all replicas: the 4 reserved.
	for _, l := range limiters {
		for range 10 {
			wg.Go(func() {
				_, taken, err := l.TryTake(ctx, false, 0)
				if err != nil {
					t.Error(err)
				}
				if taken {
					fg.Add(1)
				}
			})
		}
	}
	wg.Wait()
	if bg.Load() != 6 || fg.Load() != 4 {
		t.Errorf("tokens taken by 3 replicas from a bucket of 10 with 4 reserved: background %d, API %d; want 6 and 4",
			bg.Load(), fg.Load())
	}
}

// TestReplicasWaitTheirTurn: three replicas taking 10 tokens each, waiting
// for them, from one bucket of 50 a second with a burst of 1, cannot finish
// before the 29 tokens after the first have been refilled. (Ten times
// faster would be the three of them with a bucket each.)
func TestReplicasWaitTheirTurn(t *testing.T) {
	ctx := context.Background()
	dbs := replicas(t, 3)
	start := time.Now()
	var wg sync.WaitGroup
	for _, db := range dbs {
		l := stripeapi.NewLimiter(db, "stripe-live", 50, 1, 0)
		wg.Go(func() {
			for range 10 {
				if err := l.Take(ctx, false); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if d, least := time.Since(start), 29*time.Second/50; d < least {
		t.Errorf("30 tokens at 50/s with a burst of 1 took %v, less than the %v the rate allows", d, least)
	}
}

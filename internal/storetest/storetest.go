// Package storetest is the conformance suite for paywarden.Store: every
// backend (internal/sqlite, internal/postgres) passes the same tests, so
// that they behave the same (PRODUCT.md §7).
//
// The tests are in one file per interface (events.go and completions.go,
// mirror.go, history.go, tokens.go, idempotency.go, keys.go,
// migrations.go); storetest.go holds the entry point and the helpers they
// share.
//
// A backend's test calls RunConformanceTests with a function that opens a
// new, empty, unmigrated store; the suite migrates it. Stores must
// implement Clock, so that leases, retries and expiries are tested by
// moving a fake clock, never by sleeping.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// Clock is implemented by stores whose notion of now can be replaced.
type Clock interface {
	// SetNow replaces the store's clock. It is called before the store is
	// used concurrently.
	SetNow(now func() time.Time)
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// t0 is where every fake clock starts: not in UTC and not a whole
// microsecond, so that the suite sees how the store normalizes times.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

// norm is how a stored time must come back: UTC, whole microseconds.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

type opener = func(t *testing.T) paywarden.Store

// RunConformanceTests runs the suite. open must return a new, empty store
// that is not migrated yet and that implements Clock; it should arrange
// (with t.Cleanup) for the store to be closed and its data removed.
func RunConformanceTests(t *testing.T, open func(t *testing.T) paywarden.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open opener)
	}{
		// migrations.go
		{"Migrate", testMigrate},
		{"Ping", testPing},
		// events.go
		{"InsertEvents", testInsertEvents},
		{"InsertManyEvents", testInsertManyEvents},
		{"EventTimes", testEventTimes},
		{"ListEvents", testListEvents},
		{"ClaimEvents", testClaimEvents},
		{"ClaimEventsConcurrent", testClaimEventsConcurrent},
		{"LeaseExpiry", testLeaseExpiry},
		{"CompleteEvent", testCompleteEvent},
		// completions.go
		{"CompleteEvents", testCompleteEvents},
		{"CompleteEventsExpiredLease", testCompleteEventsExpiredLease},
		{"CompleteEventsInvalid", testCompleteEventsInvalid},
		{"FailEvent", testFailEvent},
		{"ReleaseEvent", testReleaseEvent},
		{"ReplayEvent", testReplayEvent},
		{"ReplayEvents", testReplayEvents},
		{"CountEvents", testCountEvents},
		// mirror.go
		{"OrderingGuard", testOrderingGuard},
		{"Objects", testObjects},
		{"ListObjects", testListObjects},
		// history.go
		{"ObjectHistory", testObjectHistory},
		{"ObjectsAtMany", testObjectsAtMany},
		{"HistoryOnComplete", testHistoryOnComplete},
		// tokens.go
		{"Tokens", testTokens},
		// idempotency.go
		{"Idempotency", testIdempotency},
		{"IdempotencyTakeover", testIdempotencyTakeover},
		{"IdempotencyExpiry", testIdempotencyExpiry},
		// keys.go
		{"Keys", testKeys},
		{"Dashboard", testDashboard},
		// sync.go
		{"SyncCursors", testSyncCursors},
		{"DeleteSyncCursors", testDeleteSyncCursors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// setup opens a store, migrates it and sets its clock to a fake one.
func setup(t *testing.T, open opener) (paywarden.Store, *fakeClock) {
	t.Helper()
	s := open(t)
	c, ok := s.(Clock)
	if !ok {
		t.Fatalf("%T does not implement storetest.Clock", s)
	}
	clock := &fakeClock{now: t0}
	c.SetNow(clock.Now)
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, clock
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := paywarden.ErrorCode(err); got != code {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func firstErr[T any](_ T, err error) error { return err }

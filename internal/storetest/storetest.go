// Package storetest is the conformance suite for paywarden.Store: every
// backend (internal/sqlite, internal/postgres) passes the same tests, so
// that they behave the same (PRODUCT.md §7).
//
// A backend's test calls RunConformanceTests with a function that opens a
// new, empty, unmigrated store; the suite migrates it. Stores must
// implement Clock, so that leases, retries and expiries are tested by
// moving a fake clock, never by sleeping.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		{"Migrate", testMigrate},
		{"Ping", testPing},
		{"InsertEvents", testInsertEvents},
		{"InsertManyEvents", testInsertManyEvents},
		{"EventTimes", testEventTimes},
		{"ListEvents", testListEvents},
		{"ClaimEvents", testClaimEvents},
		{"ClaimEventsConcurrent", testClaimEventsConcurrent},
		{"LeaseExpiry", testLeaseExpiry},
		{"CompleteEvent", testCompleteEvent},
		{"FailEvent", testFailEvent},
		{"ReleaseEvent", testReleaseEvent},
		{"ReplayEvent", testReplayEvent},
		{"ReplayEvents", testReplayEvents},
		{"CountEvents", testCountEvents},
		{"OrderingGuard", testOrderingGuard},
		{"Objects", testObjects},
		{"ListObjects", testListObjects},
		{"Tokens", testTokens},
		{"Idempotency", testIdempotency},
		{"IdempotencyTakeover", testIdempotencyTakeover},
		{"IdempotencyExpiry", testIdempotencyExpiry},
		{"Keys", testKeys},
		{"Dashboard", testDashboard},
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

// eventCmp compares events: nil and empty slices are the same.
var eventCmp = cmpopts.EquateEmpty()

func newEvent(id string, created time.Time) *paywarden.Event {
	return &paywarden.Event{
		ID:         id,
		Type:       "customer.updated",
		Created:    created.Truncate(time.Second),
		Livemode:   false,
		APIVersion: "2025-01-27.acacia",
		ObjectID:   "cus_" + id,
		ObjectType: paywarden.ObjectCustomer,
		Endpoint:   "default",
		Payload:    []byte(`{"id":"` + id + `","object":"event"}`),
	}
}

// stored is what e should look like once stored at now with defaults.
func stored(e *paywarden.Event, now time.Time) *paywarden.Event {
	w := *e
	if w.Status == "" {
		w.Status = paywarden.EventPending
	}
	if w.ReceivedAt.IsZero() {
		w.ReceivedAt = now
	}
	if w.NextAttemptAt.IsZero() {
		w.NextAttemptAt = w.ReceivedAt
	}
	w.Created = norm(w.Created)
	w.ReceivedAt = norm(w.ReceivedAt)
	w.NextAttemptAt = norm(w.NextAttemptAt)
	w.ProcessedAt = norm(w.ProcessedAt)
	return &w
}

func insert(t *testing.T, s paywarden.Store, es ...*paywarden.Event) {
	t.Helper()
	created, err := s.InsertEvents(context.Background(), es)
	must(t, "InsertEvents", err)
	for i, c := range created {
		if !c {
			t.Fatalf("InsertEvents: %s not created", es[i].ID)
		}
	}
}

func getEvent(t *testing.T, s paywarden.Store, id string) *paywarden.Event {
	t.Helper()
	e, err := s.Event(context.Background(), id)
	must(t, "Event("+id+")", err)
	return e
}

func ids(es []*paywarden.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func testMigrate(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	pending, err := s.PendingMigrations(ctx)
	must(t, "PendingMigrations", err)
	if pending == 0 {
		t.Fatalf("PendingMigrations on a new store = 0, want > 0")
	}
	n, err := s.Migrate(ctx)
	must(t, "Migrate", err)
	if n != pending {
		t.Errorf("Migrate applied %d, want %d (the pending count)", n, pending)
	}
	n, err = s.Migrate(ctx)
	must(t, "second Migrate", err)
	if n != 0 {
		t.Errorf("second Migrate applied %d, want 0", n)
	}
	pending, err = s.PendingMigrations(ctx)
	must(t, "PendingMigrations", err)
	if pending != 0 {
		t.Errorf("PendingMigrations after Migrate = %d, want 0", pending)
	}
}

func testPing(t *testing.T, open opener) {
	s, _ := setup(t, open)
	must(t, "Ping", s.Ping(context.Background()))
}

func testInsertEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	a, b, c := newEvent("evt_a", now), newEvent("evt_b", now), newEvent("evt_c", now)
	a2 := newEvent("evt_a", now)
	a2.Type = "customer.deleted" // a duplicate never changes what is stored

	for _, tt := range []struct {
		name  string
		batch []*paywarden.Event
		want  []bool
	}{
		{"empty", nil, nil},
		{"duplicate within a batch", []*paywarden.Event{a, b, a2}, []bool{true, true, false}},
		{"duplicate across batches", []*paywarden.Event{b, c}, []bool{false, true}},
		{"all duplicates", []*paywarden.Event{c, a2, b}, []bool{false, false, false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.InsertEvents(ctx, tt.batch)
			must(t, "InsertEvents", err)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
		})
	}
	for _, e := range []*paywarden.Event{a, b, c} {
		if diff := cmp.Diff(stored(e, now), getEvent(t, s, e.ID), eventCmp); diff != "" {
			t.Errorf("Event(%s) (-want +got):\n%s", e.ID, diff)
		}
	}

	// Every field round-trips, including the processing state.
	full := newEvent("evt_full", now)
	full.Livemode = true
	full.Status = paywarden.EventQuarantined
	full.Attempts = 3
	full.LastError = "boom"
	full.ReceivedAt = now.Add(-time.Minute)
	full.NextAttemptAt = now.Add(time.Hour)
	full.ProcessedAt = now.Add(time.Second)
	insert(t, s, full)
	if diff := cmp.Diff(stored(full, now), getEvent(t, s, full.ID), eventCmp); diff != "" {
		t.Errorf("Event(%s) (-want +got):\n%s", full.ID, diff)
	}

	_, err := s.Event(ctx, "evt_missing")
	wantCode(t, "Event(missing)", err, paywarden.ENOTFOUND)
	_, err = s.InsertEvents(ctx, []*paywarden.Event{newEvent("evt_ok", now), {Type: "x"}})
	wantCode(t, "InsertEvents without an id", err, paywarden.EINVALID)
	bad := newEvent("evt_bad", now)
	bad.Status = "lost"
	_, err = s.InsertEvents(ctx, []*paywarden.Event{bad})
	wantCode(t, "InsertEvents with an unknown status", err, paywarden.EINVALID)
	_, err = s.Event(ctx, "evt_ok")
	wantCode(t, "Event(evt_ok) from a rejected batch", err, paywarden.ENOTFOUND)
}

func testInsertManyEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	const n = 500
	payload := bytes.Repeat([]byte("x"), 2500)
	var batch []*paywarden.Event
	for i := range n {
		e := newEvent(fmt.Sprintf("evt_%04d", i), clock.Now())
		e.Payload = payload
		batch = append(batch, e)
	}
	// The second half again, as a retried delivery would.
	created, err := s.InsertEvents(ctx, append(batch, batch[n/2:]...))
	must(t, "InsertEvents", err)
	if len(created) != n+n/2 {
		t.Fatalf("got %d created flags, want %d", len(created), n+n/2)
	}
	for i, c := range created {
		if want := i < n; c != want {
			t.Fatalf("created[%d] = %v, want %v", i, c, want)
		}
	}
	counts, err := s.CountEvents(ctx)
	must(t, "CountEvents", err)
	if got := counts[paywarden.EventPending]; got != n {
		t.Errorf("pending events: got %d, want %d", got, n)
	}
	if got := getEvent(t, s, "evt_0499"); !bytes.Equal(got.Payload, payload) {
		t.Errorf("payload of evt_0499: got %d bytes, want %d", len(got.Payload), len(payload))
	}
}

// testEventTimes checks that every time field comes back in UTC at
// microsecond precision, whatever zone and precision went in.
func testEventTimes(t *testing.T, open opener) {
	s, clock := setup(t, open)
	ny := time.FixedZone("EST", -5*3600)
	e := newEvent("evt_times", clock.Now())
	e.Created = time.Date(2025, 12, 31, 23, 59, 59, 0, ny)
	e.ReceivedAt = time.Date(2026, 1, 1, 5, 0, 0, 999999999, ny)
	e.NextAttemptAt = time.Date(2026, 1, 1, 5, 0, 1, 1001, ny)
	e.ProcessedAt = time.Date(1999, 1, 1, 0, 0, 0, 500, ny) // before 2000, PostgreSQL's epoch
	insert(t, s, e)
	got := getEvent(t, s, e.ID)
	for _, tt := range []struct {
		name      string
		got, sent time.Time
	}{
		{"Created", got.Created, e.Created},
		{"ReceivedAt", got.ReceivedAt, e.ReceivedAt},
		{"NextAttemptAt", got.NextAttemptAt, e.NextAttemptAt},
		{"ProcessedAt", got.ProcessedAt, e.ProcessedAt},
	} {
		checkTime(t, tt.name, tt.got, tt.sent)
	}
}

func checkTime(t *testing.T, name string, got, sent time.Time) {
	t.Helper()
	want := norm(sent)
	if !got.Equal(want) {
		t.Errorf("%s: got %v, want %v", name, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s: got location %v, want UTC", name, got.Location())
	}
}

func testListEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	// Received one minute apart, e5 newest; e3 and e3b received together.
	mk := func(id, typ string, status paywarden.EventStatus, ago int) *paywarden.Event {
		e := newEvent(id, now)
		e.Type, e.Status = typ, status
		e.ReceivedAt = now.Add(-time.Duration(ago) * time.Minute)
		return e
	}
	insert(t, s,
		mk("evt_1", "charge.succeeded", paywarden.EventProcessed, 5),
		mk("evt_2", "customer.updated", paywarden.EventPending, 4),
		mk("evt_3", "charge.succeeded", paywarden.EventFailed, 3),
		mk("evt_3b", "charge.succeeded", paywarden.EventPending, 3),
		mk("evt_4", "customer.updated", paywarden.EventDead, 2),
		mk("evt_5", "charge.succeeded", paywarden.EventPending, 1),
	)
	for _, tt := range []struct {
		name string
		f    paywarden.EventFilter
		want []string
	}{
		{"all, newest first", paywarden.EventFilter{}, []string{"evt_5", "evt_4", "evt_3b", "evt_3", "evt_2", "evt_1"}},
		{"by status", paywarden.EventFilter{Status: paywarden.EventPending}, []string{"evt_5", "evt_3b", "evt_2"}},
		{"by type", paywarden.EventFilter{Type: "customer.updated"}, []string{"evt_4", "evt_2"}},
		{"by status and type", paywarden.EventFilter{Status: paywarden.EventPending, Type: "charge.succeeded"}, []string{"evt_5", "evt_3b"}},
		{"limit", paywarden.EventFilter{Limit: 2}, []string{"evt_5", "evt_4"}},
		{"page 2", paywarden.EventFilter{Limit: 2, StartingAfter: "evt_4"}, []string{"evt_3b", "evt_3"}},
		{"page 3", paywarden.EventFilter{Limit: 2, StartingAfter: "evt_3"}, []string{"evt_2", "evt_1"}},
		{"last page", paywarden.EventFilter{Limit: 2, StartingAfter: "evt_1"}, nil},
		{"page with filter", paywarden.EventFilter{Type: "charge.succeeded", StartingAfter: "evt_3b"}, []string{"evt_3", "evt_1"}},
		{"nothing matches", paywarden.EventFilter{Status: paywarden.EventQuarantined}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListEvents(ctx, tt.f)
			must(t, "ListEvents", err)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	_, err := s.ListEvents(ctx, paywarden.EventFilter{StartingAfter: "evt_missing"})
	wantCode(t, "ListEvents after a missing event", err, paywarden.EINVALID)
	_, err = s.ListEvents(ctx, paywarden.EventFilter{Status: "lost"})
	wantCode(t, "ListEvents with an unknown status", err, paywarden.EINVALID)

	// The default limit is 100.
	var more []*paywarden.Event
	for i := range 120 {
		more = append(more, mk(fmt.Sprintf("evt_more_%03d", i), "x", paywarden.EventPending, 10))
	}
	insert(t, s, more...)
	got, err := s.ListEvents(ctx, paywarden.EventFilter{})
	must(t, "ListEvents", err)
	if len(got) != 100 {
		t.Errorf("ListEvents with no limit: got %d events, want 100", len(got))
	}
	// Full events come back, not just ids.
	if diff := cmp.Diff(stored(more[0], now), getEvent(t, s, more[0].ID), eventCmp); diff != "" {
		t.Errorf("listed event (-want +got):\n%s", diff)
	}
}

func testClaimEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	mk := func(id string, createdAgo int, status paywarden.EventStatus, due time.Duration) *paywarden.Event {
		e := newEvent(id, now.Add(-time.Duration(createdAgo)*time.Hour))
		e.Status = status
		e.NextAttemptAt = now.Add(due)
		return e
	}
	insert(t, s,
		mk("evt_new", 1, paywarden.EventPending, 0),
		mk("evt_old", 5, paywarden.EventPending, -time.Minute),
		mk("evt_failed_due", 3, paywarden.EventFailed, 0),
		mk("evt_failed_later", 4, paywarden.EventFailed, time.Minute),
		mk("evt_pending_later", 4, paywarden.EventPending, time.Second),
		mk("evt_processed", 6, paywarden.EventProcessed, 0),
		mk("evt_dead", 6, paywarden.EventDead, 0),
		mk("evt_quarantined", 6, paywarden.EventQuarantined, 0),
	)

	got, err := s.ClaimEvents(ctx, "w1", 2, time.Hour)
	must(t, "ClaimEvents", err)
	if diff := cmp.Diff([]string{"evt_old", "evt_failed_due"}, ids(got)); diff != "" {
		t.Errorf("first claim, oldest first (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if e.Attempts != 1 {
			t.Errorf("claimed %s: got Attempts %d, want 1", e.ID, e.Attempts)
		}
	}
	got, err = s.ClaimEvents(ctx, "w2", 10, time.Hour)
	must(t, "ClaimEvents", err)
	if diff := cmp.Diff([]string{"evt_new"}, ids(got)); diff != "" {
		t.Errorf("second claim, leased and not due left out (-want +got):\n%s", diff)
	}
	got, err = s.ClaimEvents(ctx, "w3", 10, time.Minute)
	must(t, "ClaimEvents", err)
	if len(got) != 0 {
		t.Errorf("third claim: got %v, want none", ids(got))
	}
	// The later ones fall due; the leases (1 hour) still hold.
	clock.Advance(time.Minute)
	got, err = s.ClaimEvents(ctx, "w3", 10, time.Hour)
	must(t, "ClaimEvents", err)
	if diff := cmp.Diff([]string{"evt_failed_later", "evt_pending_later"}, ids(got)); diff != "" {
		t.Errorf("claim once due (-want +got):\n%s", diff)
	}

	got, err = s.ClaimEvents(ctx, "w4", 0, time.Minute)
	if err != nil || len(got) != 0 {
		t.Errorf("ClaimEvents with limit 0: got %v, %v; want none, nil", ids(got), err)
	}
	_, err = s.ClaimEvents(ctx, "", 1, time.Minute)
	wantCode(t, "ClaimEvents without an owner", err, paywarden.EINVALID)
	_, err = s.ClaimEvents(ctx, "w4", 1, 0)
	wantCode(t, "ClaimEvents without a lease", err, paywarden.EINVALID)
}

// testClaimEventsConcurrent runs claimers at once until nothing is left and
// checks that each event was handed out exactly once.
func testClaimEventsConcurrent(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	const (
		events   = 300
		claimers = 8
	)
	var batch []*paywarden.Event
	for i := range events {
		batch = append(batch, newEvent(fmt.Sprintf("evt_%04d", i), clock.Now().Add(time.Duration(i%7)*time.Second)))
	}
	insert(t, s, batch...)

	claimed := make([][]string, claimers)
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for w := range claimers {
		wg.Go(func() {
			owner := fmt.Sprintf("worker-%d", w)
			for {
				es, err := s.ClaimEvents(ctx, owner, 1+w%5, time.Hour)
				if err != nil {
					errs[w] = err
					return
				}
				if len(es) == 0 {
					return
				}
				for _, e := range es {
					claimed[w] = append(claimed[w], e.ID)
					if err := s.CompleteEvent(ctx, e.ID, owner, nil); err != nil {
						errs[w] = fmt.Errorf("CompleteEvent(%s): %w", e.ID, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	for w := range claimers {
		for _, id := range claimed[w] {
			seen[id]++
		}
	}
	if len(seen) != events {
		t.Errorf("claimed %d distinct events, want %d", len(seen), events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times, want 1", id, n)
		}
	}
	counts, err := s.CountEvents(ctx)
	must(t, "CountEvents", err)
	if got := counts[paywarden.EventProcessed]; got != events {
		t.Errorf("processed: got %d, want %d", got, events)
	}
}

func customer(id string, version time.Time, fetched bool, data string) *paywarden.MirrorObject {
	return &paywarden.MirrorObject{
		Type: paywarden.ObjectCustomer, ID: id, Created: version.Add(-time.Hour),
		Data: []byte(data), Version: version, Fetched: fetched, EventID: "evt_" + data,
	}
}

func getObject(t *testing.T, s paywarden.Store, typ, id string) *paywarden.MirrorObject {
	t.Helper()
	o, err := s.Object(context.Background(), typ, id)
	must(t, "Object("+id+")", err)
	return o
}

func testLeaseExpiry(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()))

	got, err := s.ClaimEvents(ctx, "slow", 1, time.Minute)
	must(t, "ClaimEvents(slow)", err)
	if len(got) != 1 {
		t.Fatalf("slow claimed %d events, want 1", len(got))
	}
	clock.Advance(time.Minute) // the lease ends
	got, err = s.ClaimEvents(ctx, "fast", 1, time.Minute)
	must(t, "ClaimEvents(fast)", err)
	if diff := cmp.Diff([]string{"evt_1"}, ids(got)); diff != "" {
		t.Fatalf("claim after the lease expired (-want +got):\n%s", diff)
	}
	if got[0].Attempts != 2 {
		t.Errorf("Attempts after the second claim: got %d, want 2", got[0].Attempts)
	}

	// The old owner has lost the lease: nothing it does is written.
	obj := customer("cus_1", clock.Now(), false, "slow")
	err = s.CompleteEvent(ctx, "evt_1", "slow", []*paywarden.MirrorObject{obj})
	wantCode(t, "CompleteEvent by the old owner", err, paywarden.EUNAVAILABLE)
	err = s.FailEvent(ctx, "evt_1", "slow", "boom", clock.Now().Add(time.Hour), true)
	wantCode(t, "FailEvent by the old owner", err, paywarden.EUNAVAILABLE)
	_, err = s.Object(ctx, obj.Type, obj.ID)
	wantCode(t, "Object written by a lost lease", err, paywarden.ENOTFOUND)
	if e := getEvent(t, s, "evt_1"); e.Status != paywarden.EventPending || e.LastError != "" {
		t.Errorf("after the old owner's attempts: got status %q, last error %q; want pending, none", e.Status, e.LastError)
	}

	// The new owner completes.
	must(t, "CompleteEvent(fast)", s.CompleteEvent(ctx, "evt_1", "fast", []*paywarden.MirrorObject{obj}))
	if e := getEvent(t, s, "evt_1"); e.Status != paywarden.EventProcessed {
		t.Errorf("status: got %q, want processed", e.Status)
	}
	// A completed event is not claimed again, however long ago its lease ended.
	clock.Advance(time.Hour)
	got, err = s.ClaimEvents(ctx, "late", 1, time.Minute)
	if err != nil || len(got) != 0 {
		t.Errorf("claim after completion: got %v, %v; want none", ids(got), err)
	}
}

func testCompleteEvent(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()), newEvent("evt_2", clock.Now()))
	_, err := s.ClaimEvents(ctx, "w", 2, time.Minute)
	must(t, "ClaimEvents", err)

	clock.Advance(time.Second)
	v := clock.Now()
	newer := customer("cus_1", v, false, "new")
	must(t, "UpsertObjects", firstErr(s.UpsertObjects(ctx, []*paywarden.MirrorObject{newer})))
	objs := []*paywarden.MirrorObject{
		customer("cus_1", v.Add(-time.Second), false, "stale"), // older: guarded
		customer("cus_2", v, true, "fresh"),
	}
	must(t, "CompleteEvent", s.CompleteEvent(ctx, "evt_1", "w", objs))

	e := getEvent(t, s, "evt_1")
	if e.Status != paywarden.EventProcessed {
		t.Errorf("status: got %q, want processed", e.Status)
	}
	checkTime(t, "ProcessedAt", e.ProcessedAt, clock.Now())
	if got := getObject(t, s, paywarden.ObjectCustomer, "cus_1"); string(got.Data) != "new" {
		t.Errorf("cus_1: got data %q, want %q (an older version must not overwrite)", got.Data, "new")
	}
	if diff := cmp.Diff(objs[1], getObject(t, s, paywarden.ObjectCustomer, "cus_2"), objectCmp); diff != "" {
		t.Errorf("cus_2 (-want +got):\n%s", diff)
	}

	err = s.CompleteEvent(ctx, "evt_1", "w", nil)
	wantCode(t, "CompleteEvent twice", err, paywarden.EUNAVAILABLE)
	err = s.CompleteEvent(ctx, "evt_2", "someone-else", objs)
	wantCode(t, "CompleteEvent by another owner", err, paywarden.EUNAVAILABLE)
	err = s.CompleteEvent(ctx, "evt_missing", "w", nil)
	wantCode(t, "CompleteEvent of a missing event", err, paywarden.ENOTFOUND)
	if e := getEvent(t, s, "evt_2"); e.Status != paywarden.EventPending {
		t.Errorf("evt_2 after a refused completion: got status %q, want pending", e.Status)
	}
	// An event never claimed cannot be completed.
	insert(t, s, newEvent("evt_3", clock.Now()))
	err = s.CompleteEvent(ctx, "evt_3", "w", nil)
	wantCode(t, "CompleteEvent of an unclaimed event", err, paywarden.EUNAVAILABLE)
}

func firstErr[T any](_ T, err error) error { return err }

func testFailEvent(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()), newEvent("evt_2", clock.Now().Add(time.Second)))
	_, err := s.ClaimEvents(ctx, "w", 2, time.Minute)
	must(t, "ClaimEvents", err)

	retryAt := clock.Now().Add(10 * time.Minute)
	must(t, "FailEvent", s.FailEvent(ctx, "evt_1", "w", "card_declined handler failed", retryAt, false))
	must(t, "FailEvent(dead)", s.FailEvent(ctx, "evt_2", "w", "gave up", clock.Now(), true))

	e := getEvent(t, s, "evt_1")
	if e.Status != paywarden.EventFailed || e.LastError != "card_declined handler failed" || e.Attempts != 1 {
		t.Errorf("evt_1: got status %q, last error %q, attempts %d; want failed, the reason, 1", e.Status, e.LastError, e.Attempts)
	}
	checkTime(t, "NextAttemptAt", e.NextAttemptAt, retryAt)
	if e := getEvent(t, s, "evt_2"); e.Status != paywarden.EventDead || e.LastError != "gave up" {
		t.Errorf("evt_2: got status %q, last error %q; want dead, gave up", e.Status, e.LastError)
	}

	// Not before retryAt, and never a dead event.
	clock.Advance(10*time.Minute - time.Microsecond)
	got, err := s.ClaimEvents(ctx, "w", 10, time.Minute)
	if err != nil || len(got) != 0 {
		t.Errorf("claim before retryAt: got %v, %v; want none", ids(got), err)
	}
	clock.Advance(time.Microsecond)
	got, err = s.ClaimEvents(ctx, "w", 10, time.Minute)
	must(t, "ClaimEvents", err)
	if diff := cmp.Diff([]string{"evt_1"}, ids(got)); diff != "" {
		t.Fatalf("claim at retryAt (-want +got):\n%s", diff)
	}
	if got[0].Attempts != 2 {
		t.Errorf("Attempts: got %d, want 2", got[0].Attempts)
	}
	// Failing twice with the same lease: the first one released it.
	must(t, "FailEvent", s.FailEvent(ctx, "evt_1", "w", "again", time.Time{}, false))
	err = s.FailEvent(ctx, "evt_1", "w", "again", time.Time{}, false)
	wantCode(t, "FailEvent after the lease was released", err, paywarden.EUNAVAILABLE)
	// A zero retryAt is due at once.
	got, err = s.ClaimEvents(ctx, "w", 10, time.Minute)
	if err != nil || len(got) != 1 {
		t.Errorf("claim after a failure with zero retryAt: got %v, %v; want evt_1", ids(got), err)
	}
	err = s.FailEvent(ctx, "evt_missing", "w", "x", time.Time{}, false)
	wantCode(t, "FailEvent of a missing event", err, paywarden.ENOTFOUND)
}

func testReleaseEvent(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()))
	_, err := s.ClaimEvents(ctx, "w", 1, time.Hour)
	must(t, "ClaimEvents", err)
	wantCode(t, "ReleaseEvent by another owner", s.ReleaseEvent(ctx, "evt_1", "other"), paywarden.EUNAVAILABLE)
	must(t, "ReleaseEvent", s.ReleaseEvent(ctx, "evt_1", "w"))
	wantCode(t, "ReleaseEvent twice", s.ReleaseEvent(ctx, "evt_1", "w"), paywarden.EUNAVAILABLE)
	wantCode(t, "ReleaseEvent of a missing event", s.ReleaseEvent(ctx, "evt_missing", "w"), paywarden.ENOTFOUND)

	// Claimable at once by another owner, with the released attempt not counted.
	got, err := s.ClaimEvents(ctx, "next", 1, time.Hour)
	must(t, "ClaimEvents", err)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].Status != paywarden.EventPending {
		t.Fatalf("claim after release: got %v; want evt_1, pending, attempt 1", ids(got))
	}
}

func testReplayEvent(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()))
	_, err := s.ClaimEvents(ctx, "w", 1, time.Minute)
	must(t, "ClaimEvents", err)
	must(t, "FailEvent", s.FailEvent(ctx, "evt_1", "w", "boom", clock.Now().Add(24*time.Hour), true))

	clock.Advance(time.Hour)
	must(t, "ReplayEvent", s.ReplayEvent(ctx, "evt_1"))
	e := getEvent(t, s, "evt_1")
	if e.Status != paywarden.EventPending || e.Attempts != 0 {
		t.Errorf("after replay: got status %q, attempts %d; want pending, 0", e.Status, e.Attempts)
	}
	checkTime(t, "NextAttemptAt", e.NextAttemptAt, clock.Now())
	got, err := s.ClaimEvents(ctx, "w", 1, time.Minute)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim after replay: got %v, %v; want evt_1", ids(got), err)
	}
	must(t, "CompleteEvent", s.CompleteEvent(ctx, "evt_1", "w", nil))

	// A processed event replays too, and is processed again.
	must(t, "ReplayEvent(processed)", s.ReplayEvent(ctx, "evt_1"))
	if e := getEvent(t, s, "evt_1"); e.Status != paywarden.EventPending || !e.ProcessedAt.IsZero() {
		t.Errorf("replayed processed event: got status %q, ProcessedAt %v; want pending, zero", e.Status, e.ProcessedAt)
	}
	// A replay drops a lease: its holder can no longer complete.
	_, err = s.ClaimEvents(ctx, "w", 1, time.Minute)
	must(t, "ClaimEvents", err)
	must(t, "ReplayEvent(leased)", s.ReplayEvent(ctx, "evt_1"))
	wantCode(t, "CompleteEvent after a replay", s.CompleteEvent(ctx, "evt_1", "w", nil), paywarden.EUNAVAILABLE)

	wantCode(t, "ReplayEvent(missing)", s.ReplayEvent(ctx, "evt_missing"), paywarden.ENOTFOUND)
}

func testReplayEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	var batch []*paywarden.Event
	for i, st := range []paywarden.EventStatus{
		paywarden.EventQuarantined, paywarden.EventQuarantined, paywarden.EventQuarantined,
		paywarden.EventDead, paywarden.EventProcessed,
	} {
		e := newEvent(fmt.Sprintf("evt_%d", i), clock.Now())
		e.Status = st
		batch = append(batch, e)
	}
	insert(t, s, batch...)
	n, err := s.ReplayEvents(ctx, paywarden.EventQuarantined)
	must(t, "ReplayEvents", err)
	if n != 3 {
		t.Errorf("ReplayEvents(quarantined) = %d, want 3", n)
	}
	counts, err := s.CountEvents(ctx)
	must(t, "CountEvents", err)
	want := map[paywarden.EventStatus]int{
		paywarden.EventPending: 3, paywarden.EventDead: 1, paywarden.EventProcessed: 1,
		paywarden.EventFailed: 0, paywarden.EventQuarantined: 0,
	}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	n, err = s.ReplayEvents(ctx, paywarden.EventFailed)
	if err != nil || n != 0 {
		t.Errorf("ReplayEvents(failed) = %d, %v; want 0, nil", n, err)
	}
	_, err = s.ReplayEvents(ctx, "lost")
	wantCode(t, "ReplayEvents(unknown status)", err, paywarden.EINVALID)
}

func testCountEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	counts, err := s.CountEvents(ctx)
	must(t, "CountEvents", err)
	for st, n := range counts {
		if n != 0 {
			t.Errorf("empty store: %s = %d, want 0", st, n)
		}
	}
	var batch []*paywarden.Event
	want := map[paywarden.EventStatus]int{}
	for i, st := range []paywarden.EventStatus{
		paywarden.EventPending, paywarden.EventPending, paywarden.EventProcessed, paywarden.EventFailed,
		paywarden.EventDead, paywarden.EventQuarantined, paywarden.EventQuarantined, paywarden.EventQuarantined,
	} {
		e := newEvent(fmt.Sprintf("evt_%d", i), clock.Now())
		e.Status = st
		batch = append(batch, e)
		want[st]++
	}
	insert(t, s, batch...)
	counts, err = s.CountEvents(ctx)
	must(t, "CountEvents", err)
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// objectCmp compares objects as stored: times normalized.
var objectCmp = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Transformer("norm", norm),
}

func testOrderingGuard(t *testing.T, open opener) {
	ctx := context.Background()
	v := t0
	for _, tt := range []struct {
		name          string
		stored, write *paywarden.MirrorObject
		written       bool
	}{
		{"newer version", customer("cus", v, false, "old"), customer("cus", v.Add(time.Second), false, "new"), true},
		{"newer by a microsecond", customer("cus", v, true, "old"), customer("cus", v.Add(time.Microsecond), false, "new"), true},
		{"older version", customer("cus", v, false, "old"), customer("cus", v.Add(-time.Second), true, "new"), false},
		{"equal, from an event", customer("cus", v, false, "old"), customer("cus", v, false, "new"), false},
		{"equal, fetched", customer("cus", v, false, "old"), customer("cus", v, true, "new"), true},
		{"equal, fetched over fetched", customer("cus", v, true, "old"), customer("cus", v, true, "new"), true},
		{"equal, from an event over fetched", customer("cus", v, true, "old"), customer("cus", v, false, "new"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := setup(t, open)
			got, err := s.UpsertObjects(ctx, []*paywarden.MirrorObject{tt.stored})
			must(t, "UpsertObjects(stored)", err)
			if diff := cmp.Diff([]bool{true}, got); diff != "" {
				t.Fatalf("first write (-want +got):\n%s", diff)
			}
			got, err = s.UpsertObjects(ctx, []*paywarden.MirrorObject{tt.write})
			must(t, "UpsertObjects(write)", err)
			if diff := cmp.Diff([]bool{tt.written}, got); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
			want := tt.stored
			if tt.written {
				want = tt.write
			}
			if diff := cmp.Diff(want, getObject(t, s, paywarden.ObjectCustomer, "cus"), objectCmp); diff != "" {
				t.Errorf("stored object (-want +got):\n%s", diff)
			}
		})
	}

	// Within one batch the guard applies in order.
	s, _ := setup(t, open)
	got, err := s.UpsertObjects(ctx, []*paywarden.MirrorObject{
		customer("cus", v.Add(time.Second), false, "b"),
		customer("cus", v, false, "a"),
		customer("cus", v.Add(2*time.Second), false, "c"),
		customer("cus_other", v, false, "x"),
	})
	must(t, "UpsertObjects", err)
	if diff := cmp.Diff([]bool{true, false, true, true}, got); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	if o := getObject(t, s, paywarden.ObjectCustomer, "cus"); string(o.Data) != "c" {
		t.Errorf("cus: got data %q, want c", o.Data)
	}
}

func testObjects(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	pi := &paywarden.MirrorObject{
		Type: paywarden.ObjectPaymentIntent, ID: "pi_1", Livemode: true, Customer: "cus_1",
		Status: "succeeded", Currency: "eur", Amount: 1999,
		Created: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
		Data:    []byte(`{"id":"pi_1","object":"payment_intent"}`),
		Version: clock.Now(), Fetched: true, EventID: "evt_1",
	}
	// Same id, another type: a separate object.
	cus := customer("pi_1", clock.Now(), false, "{}")
	written, err := s.UpsertObjects(ctx, []*paywarden.MirrorObject{pi, cus})
	must(t, "UpsertObjects", err)
	if diff := cmp.Diff([]bool{true, true}, written); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	got := getObject(t, s, paywarden.ObjectPaymentIntent, "pi_1")
	if diff := cmp.Diff(pi, got, objectCmp); diff != "" {
		t.Errorf("Object (-want +got):\n%s", diff)
	}
	checkTime(t, "Version", got.Version, pi.Version)
	checkTime(t, "Created", got.Created, pi.Created)
	if diff := cmp.Diff(cus, getObject(t, s, paywarden.ObjectCustomer, "pi_1"), objectCmp); diff != "" {
		t.Errorf("Object(customer) (-want +got):\n%s", diff)
	}
	_, err = s.Object(ctx, paywarden.ObjectCharge, "pi_1")
	wantCode(t, "Object(missing)", err, paywarden.ENOTFOUND)
	_, err = s.UpsertObjects(ctx, []*paywarden.MirrorObject{{Type: paywarden.ObjectCharge}})
	wantCode(t, "UpsertObjects without an id", err, paywarden.EINVALID)
	written, err = s.UpsertObjects(ctx, nil)
	if err != nil || len(written) != 0 {
		t.Errorf("UpsertObjects(nil) = %v, %v; want none, nil", written, err)
	}
}

func testListObjects(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	mk := func(id, cust, status, cur string, d int) *paywarden.MirrorObject {
		return &paywarden.MirrorObject{
			Type: paywarden.ObjectCharge, ID: id, Customer: cust, Status: status, Currency: cur,
			Amount: 100, Created: day(d), Data: []byte("{}"), Version: clock.Now(),
		}
	}
	_, err := s.UpsertObjects(ctx, []*paywarden.MirrorObject{
		mk("ch_1", "cus_a", "succeeded", "eur", 1),
		mk("ch_2", "cus_b", "failed", "usd", 2),
		mk("ch_3", "cus_a", "succeeded", "usd", 3),
		mk("ch_3b", "cus_b", "succeeded", "eur", 3),
		mk("ch_4", "cus_a", "succeeded", "eur", 4),
		customer("cus_a", clock.Now(), false, "{}"),
	})
	must(t, "UpsertObjects", err)
	ch := paywarden.ObjectCharge
	for _, tt := range []struct {
		name string
		f    paywarden.MirrorFilter
		want []string
	}{
		{"all, newest first", paywarden.MirrorFilter{Type: ch}, []string{"ch_4", "ch_3b", "ch_3", "ch_2", "ch_1"}},
		{"other type", paywarden.MirrorFilter{Type: paywarden.ObjectCustomer}, []string{"cus_a"}},
		{"by customer", paywarden.MirrorFilter{Type: ch, Customer: "cus_a"}, []string{"ch_4", "ch_3", "ch_1"}},
		{"by status", paywarden.MirrorFilter{Type: ch, Status: "failed"}, []string{"ch_2"}},
		{"by currency", paywarden.MirrorFilter{Type: ch, Currency: "eur"}, []string{"ch_4", "ch_3b", "ch_1"}},
		{"created range", paywarden.MirrorFilter{Type: ch, CreatedFrom: day(2), CreatedTo: day(4)}, []string{"ch_3b", "ch_3", "ch_2"}},
		{"created from", paywarden.MirrorFilter{Type: ch, CreatedFrom: day(3)}, []string{"ch_4", "ch_3b", "ch_3"}},
		{"limit", paywarden.MirrorFilter{Type: ch, Limit: 2}, []string{"ch_4", "ch_3b"}},
		{"page", paywarden.MirrorFilter{Type: ch, Limit: 2, StartingAfter: "ch_3b"}, []string{"ch_3", "ch_2"}},
		{"page with filter", paywarden.MirrorFilter{Type: ch, Currency: "eur", StartingAfter: "ch_4"}, []string{"ch_3b", "ch_1"}},
		{"no limit", paywarden.MirrorFilter{Type: ch, Limit: -1, StartingAfter: "ch_3"}, []string{"ch_2", "ch_1"}},
		{"nothing", paywarden.MirrorFilter{Type: ch, Customer: "cus_z"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListObjects(ctx, tt.f)
			must(t, "ListObjects", err)
			var gotIDs []string
			for _, o := range got {
				gotIDs = append(gotIDs, o.ID)
			}
			if diff := cmp.Diff(tt.want, gotIDs); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	_, err = s.ListObjects(ctx, paywarden.MirrorFilter{})
	wantCode(t, "ListObjects without a type", err, paywarden.EINVALID)
	_, err = s.ListObjects(ctx, paywarden.MirrorFilter{Type: ch, StartingAfter: "ch_missing"})
	wantCode(t, "ListObjects after a missing object", err, paywarden.EINVALID)

	var many []*paywarden.MirrorObject
	for i := range 130 {
		many = append(many, mk(fmt.Sprintf("ch_many_%03d", i), "", "", "", 5))
	}
	_, err = s.UpsertObjects(ctx, many)
	must(t, "UpsertObjects", err)
	for _, tt := range []struct {
		limit, want int
	}{{0, 100}, {-1, 135}, {120, 120}} {
		got, err := s.ListObjects(ctx, paywarden.MirrorFilter{Type: ch, Limit: tt.limit})
		must(t, "ListObjects", err)
		if len(got) != tt.want {
			t.Errorf("ListObjects with limit %d: got %d objects, want %d", tt.limit, len(got), tt.want)
		}
	}
}

func testTokens(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	tok := func(id string, hash byte, ago time.Duration, scopes ...string) *paywarden.Token {
		return &paywarden.Token{
			ID: id, Name: "name " + id, Scopes: scopes,
			Hash: bytes.Repeat([]byte{hash}, 32), CreatedAt: now.Add(-ago),
		}
	}
	a := tok("tok_a", 1, time.Hour, paywarden.ScopePaymentsRead, paywarden.ScopePaymentsWrite)
	b := tok("tok_b", 2, 2*time.Hour, paywarden.ScopeAdmin)
	c := tok("tok_c", 3, 0)
	for _, x := range []*paywarden.Token{a, b, c} {
		must(t, "CreateToken("+x.ID+")", s.CreateToken(ctx, x))
	}
	wantCode(t, "CreateToken(duplicate id)", s.CreateToken(ctx, tok("tok_a", 9, 0)), paywarden.EINVALID)
	wantCode(t, "CreateToken(duplicate hash)", s.CreateToken(ctx, tok("tok_d", 1, 0)), paywarden.EINVALID)
	wantCode(t, "CreateToken(no hash)", s.CreateToken(ctx, &paywarden.Token{ID: "tok_e"}), paywarden.EINVALID)

	tokenCmp := cmp.Options{cmpopts.EquateEmpty(), cmp.Transformer("norm", norm)}
	got, err := s.TokenByHash(ctx, a.Hash)
	must(t, "TokenByHash", err)
	if diff := cmp.Diff(a, got, tokenCmp); diff != "" {
		t.Errorf("TokenByHash (-want +got):\n%s", diff)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
	_, err = s.TokenByHash(ctx, bytes.Repeat([]byte{7}, 32))
	wantCode(t, "TokenByHash(missing)", err, paywarden.ENOTFOUND)

	list, err := s.ListTokens(ctx)
	must(t, "ListTokens", err)
	if diff := cmp.Diff([]*paywarden.Token{b, a, c}, list, tokenCmp); diff != "" {
		t.Errorf("ListTokens, oldest first (-want +got):\n%s", diff)
	}

	revoked := now.Add(time.Minute)
	must(t, "RevokeToken", s.RevokeToken(ctx, "tok_a", revoked))
	must(t, "RevokeToken again", s.RevokeToken(ctx, "tok_a", revoked.Add(time.Hour)))
	wantCode(t, "RevokeToken(missing)", s.RevokeToken(ctx, "tok_missing", now), paywarden.ENOTFOUND)
	got, err = s.TokenByHash(ctx, a.Hash)
	must(t, "TokenByHash(revoked)", err)
	if !got.Revoked() {
		t.Errorf("token not revoked after RevokeToken")
	}
	checkTime(t, "RevokedAt (the first revocation)", got.RevokedAt, revoked)

	used := now.Add(2 * time.Minute)
	must(t, "TouchToken", s.TouchToken(ctx, "tok_b", used))
	must(t, "TouchToken earlier", s.TouchToken(ctx, "tok_b", used.Add(-time.Minute)))
	wantCode(t, "TouchToken(missing)", s.TouchToken(ctx, "tok_missing", now), paywarden.ENOTFOUND)
	got, err = s.TokenByHash(ctx, b.Hash)
	must(t, "TokenByHash", err)
	checkTime(t, "LastUsedAt", got.LastUsedAt, used)
	if got.Revoked() {
		t.Errorf("tok_b revoked, want not")
	}
	if !got.Has(paywarden.ScopeEventsRead) {
		t.Errorf("admin token: Has(events:read) = false, want true")
	}
}

func idem(tokenID, key string, hash byte, now time.Time) *paywarden.IdempotencyRecord {
	return &paywarden.IdempotencyRecord{
		TokenID: tokenID, Key: key, RequestHash: bytes.Repeat([]byte{hash}, 32),
		LockedUntil: now.Add(time.Minute), CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
}

var idemCmp = cmp.Options{cmpopts.EquateEmpty(), cmp.Transformer("norm", norm)}

func testIdempotency(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	rec := idem("tok_a", "key-1", 1, now)

	existing, err := s.BeginIdempotent(ctx, rec)
	must(t, "BeginIdempotent", err)
	if existing != nil {
		t.Fatalf("first BeginIdempotent: got existing %+v, want nil", existing)
	}
	// A repeat while in flight gets the in-flight record, same body or not.
	for _, hash := range []byte{1, 2} {
		existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", hash, now))
		must(t, "BeginIdempotent(repeat)", err)
		if diff := cmp.Diff(rec, existing, idemCmp); diff != "" {
			t.Errorf("repeat in flight (-want +got):\n%s", diff)
		}
	}
	// Keys are per token.
	existing, err = s.BeginIdempotent(ctx, idem("tok_b", "key-1", 1, now))
	if err != nil || existing != nil {
		t.Errorf("same key, other token: got %+v, %v; want nil, nil", existing, err)
	}

	body := []byte(`{"id":"pi_1"}`)
	must(t, "FinishIdempotent", s.FinishIdempotent(ctx, "tok_a", "key-1", 201, body))
	wantCode(t, "FinishIdempotent(missing)", s.FinishIdempotent(ctx, "tok_a", "key-missing", 201, body), paywarden.ENOTFOUND)
	// Long after the lock would have run out, a finished record is replayed,
	// whatever the request.
	clock.Advance(time.Hour)
	for _, hash := range []byte{1, 2} {
		existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", hash, clock.Now()))
		must(t, "BeginIdempotent(after finish)", err)
		want := *rec
		want.Status, want.Body, want.LockedUntil = 201, body, time.Time{}
		if diff := cmp.Diff(&want, existing, idemCmp); diff != "" {
			t.Errorf("repeat after finish (-want +got):\n%s", diff)
		}
		if existing != nil && !existing.Done() {
			t.Errorf("finished record: Done() = false, want true")
		}
	}

	// Abandon frees an in-flight key, and leaves a finished one alone.
	must(t, "AbandonIdempotent(finished)", s.AbandonIdempotent(ctx, "tok_a", "key-1"))
	existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", 1, clock.Now()))
	if err != nil || existing == nil || !existing.Done() {
		t.Errorf("after abandoning a finished record: got %+v, %v; want it still there", existing, err)
	}
	must(t, "AbandonIdempotent(in flight)", s.AbandonIdempotent(ctx, "tok_b", "key-1"))
	existing, err = s.BeginIdempotent(ctx, idem("tok_b", "key-1", 2, clock.Now()))
	if err != nil || existing != nil {
		t.Errorf("after abandon: got %+v, %v; want nil, nil (the key is free)", existing, err)
	}
	must(t, "AbandonIdempotent(missing)", s.AbandonIdempotent(ctx, "tok_z", "key-z"))

	_, err = s.BeginIdempotent(ctx, &paywarden.IdempotencyRecord{TokenID: "tok_a"})
	wantCode(t, "BeginIdempotent without a key", err, paywarden.EINVALID)
}

func testIdempotencyTakeover(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	rec := idem("tok_a", "key-1", 1, clock.Now())
	_, err := s.BeginIdempotent(ctx, rec)
	must(t, "BeginIdempotent", err)

	clock.Advance(time.Minute) // the lock runs out: the first request crashed
	// Another request under the same key may not take it over.
	existing, err := s.BeginIdempotent(ctx, idem("tok_a", "key-1", 2, clock.Now()))
	must(t, "BeginIdempotent(other request)", err)
	if diff := cmp.Diff(rec, existing, idemCmp); diff != "" {
		t.Errorf("other request after the lock expired (-want +got):\n%s", diff)
	}
	// The same request takes it over, with a new lock.
	retry := idem("tok_a", "key-1", 1, clock.Now())
	existing, err = s.BeginIdempotent(ctx, retry)
	if err != nil || existing != nil {
		t.Fatalf("same request after the lock expired: got %+v, %v; want nil, nil", existing, err)
	}
	existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", 1, clock.Now()))
	must(t, "BeginIdempotent(while taken over)", err)
	if existing == nil {
		t.Fatalf("while taken over: got nil, want the record locked again")
	}
	checkTime(t, "LockedUntil", existing.LockedUntil, retry.LockedUntil)
	checkTime(t, "CreatedAt (of the first request)", existing.CreatedAt, rec.CreatedAt)
}

func testIdempotencyExpiry(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	for i, key := range []string{"a", "b", "c"} {
		rec := idem("tok", key, 1, now)
		rec.ExpiresAt = now.Add(time.Duration(i+1) * time.Hour)
		_, err := s.BeginIdempotent(ctx, rec)
		must(t, "BeginIdempotent", err)
	}
	must(t, "FinishIdempotent", s.FinishIdempotent(ctx, "tok", "a", 200, []byte("ok")))

	// An expired record is ignored: the key is new again, for any request.
	clock.Advance(time.Hour)
	fresh := idem("tok", "a", 2, clock.Now())
	existing, err := s.BeginIdempotent(ctx, fresh)
	if err != nil || existing != nil {
		t.Fatalf("BeginIdempotent over an expired record: got %+v, %v; want nil, nil", existing, err)
	}
	existing, err = s.BeginIdempotent(ctx, idem("tok", "a", 2, clock.Now()))
	must(t, "BeginIdempotent", err)
	if diff := cmp.Diff(fresh, existing, idemCmp); diff != "" {
		t.Errorf("record replacing an expired one (-want +got):\n%s", diff)
	}

	// "b" expires at now+2h, "c" at now+3h; "a" was renewed to +25h.
	n, err := s.DeleteExpiredIdempotency(ctx, now.Add(2*time.Hour))
	must(t, "DeleteExpiredIdempotency", err)
	if n != 0 {
		t.Errorf("DeleteExpiredIdempotency at the expiry instant: got %d, want 0 (only before now)", n)
	}
	n, err = s.DeleteExpiredIdempotency(ctx, now.Add(3*time.Hour+time.Microsecond))
	must(t, "DeleteExpiredIdempotency", err)
	if n != 2 {
		t.Errorf("DeleteExpiredIdempotency: got %d, want 2", n)
	}
	existing, err = s.BeginIdempotent(ctx, idem("tok", "b", 3, clock.Now()))
	if err != nil || existing != nil {
		t.Errorf("BeginIdempotent on a deleted key: got %+v, %v; want nil, nil", existing, err)
	}
}

func testKeys(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	k := &paywarden.KeyRecord{
		Fingerprint: "fp_1", Capability: paywarden.CapabilityDefault, Source: "env",
		Kind: paywarden.KeySecret, Livemode: false, FirstSeen: now, LastSeen: now,
	}
	got, err := s.RecordKey(ctx, k)
	must(t, "RecordKey", err)
	keyCmp := cmp.Transformer("norm", norm)
	if diff := cmp.Diff(k, got, keyCmp); diff != "" {
		t.Errorf("RecordKey (-want +got):\n%s", diff)
	}
	checkTime(t, "FirstSeen", got.FirstSeen, now)

	later := now.Add(24 * time.Hour)
	again := *k
	again.Source, again.FirstSeen, again.LastSeen = "file:/run/secrets/stripe", later, later
	got, err = s.RecordKey(ctx, &again)
	must(t, "RecordKey again", err)
	want := again
	want.FirstSeen = now // the first time is kept
	if diff := cmp.Diff(&want, got, keyCmp); diff != "" {
		t.Errorf("RecordKey again (-want +got):\n%s", diff)
	}

	// The same key for another capability is another record; zero times are now.
	clock.Advance(48 * time.Hour)
	other := &paywarden.KeyRecord{Fingerprint: "fp_1", Capability: paywarden.CapabilityPayments, Source: "env", Kind: paywarden.KeySecret}
	got, err = s.RecordKey(ctx, other)
	must(t, "RecordKey(other capability)", err)
	checkTime(t, "FirstSeen (zero is now)", got.FirstSeen, clock.Now())
	checkTime(t, "LastSeen (zero is now)", got.LastSeen, clock.Now())
	rk := &paywarden.KeyRecord{
		Fingerprint: "fp_2", Capability: paywarden.CapabilityRead, Source: "vault:kv/stripe#read",
		Kind: paywarden.KeyRestricted, Livemode: true, FirstSeen: now.Add(time.Hour), LastSeen: now.Add(time.Hour),
	}
	_, err = s.RecordKey(ctx, rk)
	must(t, "RecordKey(restricted)", err)

	keys, err := s.Keys(ctx)
	must(t, "Keys", err)
	var order []string
	for _, k := range keys {
		order = append(order, k.Fingerprint+"/"+k.Capability)
	}
	if diff := cmp.Diff([]string{"fp_1/payments", "fp_2/read", "fp_1/default"}, order); diff != "" {
		t.Errorf("Keys, newest first (-want +got):\n%s", diff)
	}
	if i := slices.IndexFunc(keys, func(k *paywarden.KeyRecord) bool { return k.Fingerprint == "fp_2" }); i >= 0 {
		if diff := cmp.Diff(rk, keys[i], keyCmp); diff != "" {
			t.Errorf("restricted key (-want +got):\n%s", diff)
		}
	}
	_, err = s.RecordKey(ctx, &paywarden.KeyRecord{Capability: "default"})
	wantCode(t, "RecordKey without a fingerprint", err, paywarden.EINVALID)
}

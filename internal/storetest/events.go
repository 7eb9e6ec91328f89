package storetest

// The conformance tests of paywarden.EventStore: insert, list, claim, lease, complete, fail, release, replay and count.

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paywarden/paywarden"
)

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

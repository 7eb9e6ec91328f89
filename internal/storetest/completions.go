package storetest

// The conformance tests of EventStore.CompleteEvents: many completions in
// one transaction, each still only under its lease.

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
)

func testCompleteEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()), newEvent("evt_2", clock.Now()), newEvent("evt_3", clock.Now().Add(time.Second)))
	_, err := s.ClaimEvents(ctx, "w", 2, time.Minute) // evt_1, evt_2
	must(t, "ClaimEvents(w)", err)
	got, err := s.ClaimEvents(ctx, "other", 1, time.Minute) // evt_3
	must(t, "ClaimEvents(other)", err)
	if len(got) != 1 || got[0].ID != "evt_3" {
		t.Fatalf("claim by other: got %v, want [evt_3]", ids(got))
	}

	clock.Advance(time.Second)
	v := clock.Now()
	must(t, "UpsertObjects", firstErr(s.UpsertObjects(ctx, []*paywarden.MirrorObject{customer("cus_1", v, false, "new")})))
	fresh := customer("cus_2", v, true, "fresh")
	cs := []paywarden.Completion{
		{EventID: "evt_1", Objects: []*paywarden.MirrorObject{customer("cus_1", v.Add(-time.Second), false, "stale"), fresh}},
		{EventID: "evt_2"},
		{EventID: "evt_3", Objects: []*paywarden.MirrorObject{customer("cus_3", v, false, "not-ours")}},
		{EventID: "evt_missing", Objects: []*paywarden.MirrorObject{customer("cus_4", v, false, "missing")}},
	}
	errs, err := s.CompleteEvents(ctx, "w", cs)
	must(t, "CompleteEvents", err)
	if len(errs) != len(cs) {
		t.Fatalf("CompleteEvents: got %d errors, want one per completion (%d)", len(errs), len(cs))
	}
	must(t, "completion of evt_1", errs[0])
	must(t, "completion of evt_2", errs[1])
	wantCode(t, "completion of evt_3 (leased by another owner)", errs[2], paywarden.EUNAVAILABLE)
	wantCode(t, "completion of a missing event", errs[3], paywarden.ENOTFOUND)

	for _, id := range []string{"evt_1", "evt_2"} {
		e := getEvent(t, s, id)
		if e.Status != paywarden.EventProcessed {
			t.Errorf("%s: got status %q, want processed", id, e.Status)
		}
		checkTime(t, id+" ProcessedAt", e.ProcessedAt, clock.Now())
	}
	if e := getEvent(t, s, "evt_3"); e.Status != paywarden.EventPending {
		t.Errorf("evt_3: got status %q, want pending", e.Status)
	}
	// other's lease on evt_3 is intact.
	must(t, "CompleteEvent(evt_3) by other", s.CompleteEvent(ctx, "evt_3", "other", nil))
	if got := getObject(t, s, paywarden.ObjectCustomer, "cus_1"); string(got.Data) != "new" {
		t.Errorf("cus_1: got data %q, want %q (an older version must not overwrite)", got.Data, "new")
	}
	if diff := cmp.Diff(fresh, getObject(t, s, paywarden.ObjectCustomer, "cus_2"), objectCmp); diff != "" {
		t.Errorf("cus_2 (-want +got):\n%s", diff)
	}
	for _, id := range []string{"cus_3", "cus_4"} {
		_, err := s.Object(ctx, paywarden.ObjectCustomer, id)
		wantCode(t, id+" of a refused completion", err, paywarden.ENOTFOUND)
	}

	// The same events again: their leases are gone.
	errs, err = s.CompleteEvents(ctx, "w", cs[:2])
	must(t, "CompleteEvents twice", err)
	for i, e := range errs {
		wantCode(t, cs[i].EventID+" completed twice", e, paywarden.EUNAVAILABLE)
	}
}

func testCompleteEventsExpiredLease(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()), newEvent("evt_2", clock.Now()))
	_, err := s.ClaimEvents(ctx, "slow", 2, time.Minute)
	must(t, "ClaimEvents(slow)", err)
	clock.Advance(2 * time.Minute)
	got, err := s.ClaimEvents(ctx, "fast", 1, time.Minute) // evt_1, whose lease expired
	must(t, "ClaimEvents(fast)", err)
	if len(got) != 1 || got[0].ID != "evt_1" {
		t.Fatalf("claim after expiry: got %v, want [evt_1]", ids(got))
	}
	obj := customer("cus_1", clock.Now(), false, "slow")
	errs, err := s.CompleteEvents(ctx, "slow", []paywarden.Completion{
		{EventID: "evt_1", Objects: []*paywarden.MirrorObject{obj}},
		{EventID: "evt_2"}, // expired too, but nobody took it: as CompleteEvent, still slow's to finish
	})
	must(t, "CompleteEvents(slow)", err)
	wantCode(t, "evt_1 taken over by fast", errs[0], paywarden.EUNAVAILABLE)
	must(t, "evt_2, expired but not taken", errs[1])
	if _, err := s.Object(ctx, paywarden.ObjectCustomer, "cus_1"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("cus_1 written by a completion whose lease was lost: %v", err)
	}
	errs, err = s.CompleteEvents(ctx, "fast", []paywarden.Completion{{EventID: "evt_1", Objects: []*paywarden.MirrorObject{obj}}})
	must(t, "CompleteEvents(fast)", err)
	must(t, "evt_1 by fast", errs[0])
	if e := getEvent(t, s, "evt_1"); e.Status != paywarden.EventProcessed {
		t.Errorf("evt_1: got status %q, want processed", e.Status)
	}
}

func testCompleteEventsInvalid(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()))
	_, err := s.ClaimEvents(ctx, "w", 1, time.Minute)
	must(t, "ClaimEvents", err)
	errs, err := s.CompleteEvents(ctx, "w", []paywarden.Completion{
		{EventID: "evt_1", Objects: []*paywarden.MirrorObject{customer("cus_1", clock.Now(), false, "ok")}},
		{EventID: "evt_1", Objects: []*paywarden.MirrorObject{{Type: paywarden.ObjectCustomer}}}, // no id
	})
	wantCode(t, "CompleteEvents with an object without id", err, paywarden.EINVALID)
	if errs != nil {
		t.Errorf("errs with a refused batch: got %v, want nil", errs)
	}
	if e := getEvent(t, s, "evt_1"); e.Status != paywarden.EventPending {
		t.Errorf("evt_1 after a refused batch: got status %q, want pending", e.Status)
	}
	if _, err := s.Object(ctx, paywarden.ObjectCustomer, "cus_1"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("cus_1 written by a refused batch: %v", err)
	}
	// w still holds the lease.
	must(t, "CompleteEvent(evt_1) after a refused batch", s.CompleteEvent(ctx, "evt_1", "w", nil))
	errs, err = s.CompleteEvents(ctx, "w", nil)
	if err != nil || len(errs) != 0 {
		t.Errorf("CompleteEvents(nil): got %v, %v; want nothing", errs, err)
	}
}

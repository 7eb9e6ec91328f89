package storetest

// The conformance tests of paywarden.MirrorHistoryStore: that the states
// the ordering guard writes, and only those, are kept for the types whose
// history is kept, and read back as of a time.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// testHistoryOnComplete: the workers' path, CompleteEvent, records the
// history too, and a refused completion records nothing.
func testHistoryOnComplete(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	insert(t, s, newEvent("evt_1", clock.Now()), newEvent("evt_2", clock.Now()))
	_, err := s.ClaimEvents(ctx, "w", 2, time.Minute)
	must(t, "ClaimEvents", err)
	must(t, "CompleteEvent", s.CompleteEvent(ctx, "evt_1", "w", []*paywarden.MirrorObject{subState("sub_1", t0, true, "active")}))
	err = s.CompleteEvent(ctx, "evt_2", "other", []*paywarden.MirrorObject{subState("sub_1", t0.Add(time.Hour), true, "canceled")})
	wantCode(t, "CompleteEvent by another owner", err, paywarden.EUNAVAILABLE)
	got, err := s.ObjectHistory(ctx, paywarden.ObjectSubscription, "sub_1")
	must(t, "ObjectHistory", err)
	if st := statuses(got); !slices.Equal(st, []string{"active"}) {
		t.Errorf("ObjectHistory after CompleteEvent: got %v, want [active]", st)
	}
}

func subState(id string, version time.Time, fetched bool, status string) *paywarden.MirrorObject {
	return &paywarden.MirrorObject{
		Type: paywarden.ObjectSubscription, ID: id, Customer: "cus_1", Status: status, Currency: "usd",
		Created: t0, Version: version, Fetched: fetched, EventID: "evt_" + status,
		Data: fmt.Appendf(nil, `{"id":%q,"object":"subscription","status":%q}`, id, status),
	}
}

func testObjectHistory(t *testing.T, open opener) {
	s, _ := setup(t, open)
	ctx := context.Background()
	h := time.Hour
	writes := []struct {
		obj  *paywarden.MirrorObject
		kept bool
	}{
		{subState("sub_1", t0, false, "trialing"), true},
		{subState("sub_1", t0.Add(2*h), false, "active"), true},
		{subState("sub_1", t0.Add(h), false, "stale"), false},     // older: the guard refuses it
		{subState("sub_1", t0.Add(2*h), false, "same"), false},    // a tie from a payload: refused
		{subState("sub_1", t0.Add(2*h), true, "past_due"), true},  // a tie that was fetched: written
		{subState("sub_2", t0.Add(3*h), false, "canceled"), true}, // another object
		{&paywarden.MirrorObject{Type: paywarden.ObjectCharge, ID: "ch_1", Created: t0, Version: t0, Data: []byte(`{}`)}, false},
	}
	for _, w := range writes {
		written, err := s.UpsertObjects(ctx, []*paywarden.MirrorObject{w.obj})
		must(t, "UpsertObjects", err)
		if w.obj.Type == paywarden.ObjectSubscription && written[0] != w.kept {
			t.Fatalf("UpsertObjects(%s %s): got written %v, want %v", w.obj.ID, w.obj.Status, written[0], w.kept)
		}
	}

	got, err := s.ObjectHistory(ctx, paywarden.ObjectSubscription, "sub_1")
	must(t, "ObjectHistory", err)
	if st := statuses(got); !slices.Equal(st, []string{"trialing", "active", "past_due"}) {
		t.Errorf("ObjectHistory(sub_1): got states %v, want [trialing active past_due]", st)
	}
	if len(got) > 0 {
		o := got[0]
		if !o.Version.Equal(norm(t0)) || !o.Created.Equal(norm(t0)) || o.EventID != "evt_trialing" || o.Customer != "cus_1" ||
			!strings.Contains(string(o.Data), `"trialing"`) {
			t.Errorf("ObjectHistory(sub_1)[0]: got %+v, want the first write as written", o)
		}
	}
	got, err = s.ObjectHistory(ctx, paywarden.ObjectCharge, "ch_1")
	must(t, "ObjectHistory(charge)", err)
	if len(got) != 0 {
		t.Errorf("ObjectHistory(ch_1): got %d states, want none: charges keep no history", len(got))
	}

	ids := []string{"sub_1", "sub_2", "sub_none"}
	tests := []struct {
		at   time.Time
		want []string // id:status, sorted
	}{
		{t0.Add(-time.Second), nil},
		{t0, []string{"sub_1:trialing"}},
		{t0.Add(h), []string{"sub_1:trialing"}},
		{t0.Add(2 * h), []string{"sub_1:past_due"}},
		{t0.Add(5 * h), []string{"sub_1:past_due", "sub_2:canceled"}},
	}
	for _, tt := range tests {
		got, err := s.ObjectsAt(ctx, paywarden.ObjectSubscription, ids, tt.at)
		must(t, "ObjectsAt", err)
		var states []string
		for _, o := range got {
			states = append(states, o.ID+":"+o.Status)
		}
		slices.Sort(states)
		if !slices.Equal(states, tt.want) {
			t.Errorf("ObjectsAt(%v): got %v, want %v", tt.at.Sub(t0), states, tt.want)
		}
	}
	_, err = s.ObjectsAt(ctx, "", ids, t0)
	wantCode(t, "ObjectsAt without a type", err, paywarden.EINVALID)
	_, err = s.ObjectHistory(ctx, "", "sub_1")
	wantCode(t, "ObjectHistory without a type", err, paywarden.EINVALID)
	if got, err := s.ObjectsAt(ctx, paywarden.ObjectSubscription, nil, t0); err != nil || len(got) != 0 {
		t.Errorf("ObjectsAt(no ids): got %d, %v; want none, nil", len(got), err)
	}
}

// testObjectsAtMany reads more ids than one query of a store may bind.
func testObjectsAtMany(t *testing.T, open opener) {
	s, _ := setup(t, open)
	ctx := context.Background()
	const n = 1201
	var objs []*paywarden.MirrorObject
	var ids []string
	for i := range n {
		id := fmt.Sprintf("sub_%05d", i)
		ids = append(ids, id)
		objs = append(objs, subState(id, t0.Add(time.Duration(i)*time.Second), false, "active"))
	}
	_, err := s.UpsertObjects(ctx, objs)
	must(t, "UpsertObjects", err)
	got, err := s.ObjectsAt(ctx, paywarden.ObjectSubscription, ids, t0.Add(n*time.Second))
	must(t, "ObjectsAt", err)
	if len(got) != n {
		t.Errorf("ObjectsAt(%d ids): got %d states, want %d", n, len(got), n)
	}
	got, err = s.ObjectsAt(ctx, paywarden.ObjectSubscription, ids, t0.Add(99*time.Second))
	must(t, "ObjectsAt", err)
	if len(got) != 100 {
		t.Errorf("ObjectsAt(t0+99s): got %d states, want the 100 written by then", len(got))
	}
}

func statuses(os []*paywarden.MirrorObject) []string {
	var s []string
	for _, o := range os {
		s = append(s, o.Status)
	}
	return s
}

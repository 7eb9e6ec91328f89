package storetest

// The conformance tests of paywarden.MirrorStore: objects, lists and the ordering guard.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paywarden/paywarden"
)

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

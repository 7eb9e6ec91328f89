package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// ids returns the ids of objects made by fakeStripe.add.
func ids(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o["id"].(string))
	}
	return out
}

// mirrored returns the ids of the mirror's objects of typ, newest first.
func mirrored(t *testing.T, st paywarden.Store, typ string) []string {
	t.Helper()
	objs, err := st.ListObjects(context.Background(), paywarden.MirrorFilter{Type: typ, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.ID)
	}
	return out
}

// counts is the part of a TypeResult a test compares.
type counts struct {
	Type                                     string
	Status                                   Status
	Resumed                                  bool
	Listed, Written, Unchanged, Newer, Pages int64
}

func countsOf(res *Result) []counts {
	var out []counts
	for _, r := range res.Types {
		out = append(out, counts{r.Type, r.Status, r.Resumed, r.Listed, r.Written, r.Unchanged, r.Newer, r.Pages})
	}
	return out
}

// TestPagesAndRateLimit lists 7 customers and 3 charges in pages of 3:
// three pages of customers, the second answered 429 with Retry-After first
// and read again, then two pages of charges. Every object lands in the
// mirror once, from the read key, with a fetched version no later than the
// listing.
func TestPagesAndRateLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		f := newFakeStripe(t)
		customers := f.add(paywarden.ObjectCustomer, "cus", 7)
		charges := f.add(paywarden.ObjectCharge, "ch", 3)
		f.failRequest(2)
		var waits []time.Duration
		before := time.Now()
		res, err := Run(context.Background(), f.client(t, &waits), st, Options{
			Types: []string{paywarden.ObjectCustomer, paywarden.ObjectCharge}, PageSize: 3,
		})
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		want := []counts{
			{paywarden.ObjectCustomer, StatusDone, false, 7, 7, 0, 0, 3},
			{paywarden.ObjectCharge, StatusDone, false, 3, 3, 0, 0, 1},
		}
		if diff := cmp.Diff(want, countsOf(res)); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		wantLog := []string{
			"/v1/customers ",
			"/v1/customers cus_005", // 429
			"/v1/customers cus_005",
			"/v1/customers cus_002",
			"/v1/charges ",
		}
		if diff := cmp.Diff(wantLog, f.log()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if len(waits) != 1 || waits[0] < 2*time.Second {
			t.Errorf("waits before a retry: got %v, want one of at least Retry-After's 2s", waits)
		}
		if diff := cmp.Diff(ids(customers), mirrored(t, st, paywarden.ObjectCustomer)); diff != "" {
			t.Errorf("mirrored customers (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(ids(charges), mirrored(t, st, paywarden.ObjectCharge)); diff != "" {
			t.Errorf("mirrored charges (-want +got):\n%s", diff)
		}
		o, err := st.Object(context.Background(), paywarden.ObjectCharge, "ch_002")
		if err != nil {
			t.Fatal(err)
		}
		// The listing is dated the whole second before its page was
		// requested, some time between the start and the end of the run.
		lo, hi := before.Truncate(time.Second).Add(-time.Second), after.Truncate(time.Second).Add(-time.Second)
		if !o.Fetched || !o.Version.Equal(o.Version.Truncate(time.Second)) || o.Version.Before(lo) || o.Version.After(hi) ||
			o.Amount != 200 || o.Currency != "usd" || !json.Valid(o.Data) || strings.ContainsAny(string(o.Data), "\n ") {
			t.Errorf("ch_002: got fetched %t, version %s, amount %d %s, data %s; "+
				"want fetched, a whole second in [%s, %s], 200 usd, compact JSON",
				o.Fetched, o.Version, o.Amount, o.Currency, o.Data, lo, hi)
		}
		cur, err := st.SyncCursor(context.Background(), paywarden.ObjectCustomer)
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Done || cur.LastID != "cus_001" || cur.Listed != 7 || cur.Written != 7 || cur.Pages != 3 {
			t.Errorf("customer cursor: got %+v, want done after cus_001, 7 listed and written in 3 pages", cur)
		}
	})
}

// TestRerun runs a sync again: a finished type is not listed again; with
// Restart every object is listed and none is written; an object changed in
// Stripe is the only one written.
func TestRerun(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		ctx := context.Background()
		f := newFakeStripe(t)
		f.add(paywarden.ObjectCustomer, "cus", 7)
		c := f.client(t, nil)
		opts := Options{Types: []string{paywarden.ObjectCustomer}, PageSize: 3}
		if _, err := Run(ctx, c, st, opts); err != nil {
			t.Fatal(err)
		}
		first, err := st.Object(ctx, paywarden.ObjectCustomer, "cus_004")
		if err != nil {
			t.Fatal(err)
		}
		n := len(f.log())

		res, err := Run(ctx, c, st, opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]counts{{Type: paywarden.ObjectCustomer, Status: StatusSkipped}}, countsOf(res)); diff != "" {
			t.Errorf("a second run (-want +got):\n%s", diff)
		}
		if got := len(f.log()); got != n {
			t.Errorf("a second run made %d requests, want none", got-n)
		}

		opts.Restart = true
		res, err = Run(ctx, c, st, opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]counts{{paywarden.ObjectCustomer, StatusDone, false, 7, 0, 7, 0, 3}}, countsOf(res)); diff != "" {
			t.Errorf("a restarted run of unchanged objects (-want +got):\n%s", diff)
		}
		again, err := st.Object(ctx, paywarden.ObjectCustomer, "cus_004")
		if err != nil {
			t.Fatal(err)
		}
		if !again.Version.Equal(first.Version) {
			t.Errorf("cus_004 version: got %s after a run that changed nothing, want %s still", again.Version, first.Version)
		}

		f.set(paywarden.ObjectCustomer, "cus_004", "email", "new@example.com")
		res, err = Run(ctx, c, st, opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]counts{{paywarden.ObjectCustomer, StatusDone, false, 7, 1, 6, 0, 3}}, countsOf(res)); diff != "" {
			t.Errorf("a restarted run with one change (-want +got):\n%s", diff)
		}
		changed, err := st.Object(ctx, paywarden.ObjectCustomer, "cus_004")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(changed.Data), "new@example.com") {
			t.Errorf("cus_004: got %s, want the new email", changed.Data)
		}
	})
}

// TestResume cancels a sync while its second page is in flight, as an
// interrupt does, and runs it again: the second run starts after the last
// object of the first page, lists nothing twice and leaves no gap.
func TestResume(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		f := newFakeStripe(t)
		customers := f.add(paywarden.ObjectCustomer, "cus", 7)
		f.add(paywarden.ObjectPayout, "po", 2)
		c := f.client(t, nil)
		opts := Options{Types: []string{paywarden.ObjectCustomer, paywarden.ObjectPayout}, PageSize: 3}

		ctx, cancel := context.WithCancel(context.Background())
		arrived := f.holdRequest(2)
		go func() { <-arrived; cancel() }()
		res, err := Run(ctx, c, st, opts)
		if err == nil {
			t.Fatal("an interrupted run returned no error")
		}
		want := []counts{
			{paywarden.ObjectCustomer, StatusStopped, false, 3, 3, 0, 0, 1},
			{Type: paywarden.ObjectPayout, Status: StatusPending},
		}
		if diff := cmp.Diff(want, countsOf(res)); diff != "" {
			t.Errorf("the interrupted run (-want +got):\n%s", diff)
		}
		cur, err := st.SyncCursor(context.Background(), paywarden.ObjectCustomer)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Done || cur.LastID != "cus_005" || cur.Pages != 1 {
			t.Errorf("cursor after the interrupt: got %+v, want not done, after cus_005, 1 page", cur)
		}

		res, err = Run(context.Background(), c, st, opts)
		if err != nil {
			t.Fatal(err)
		}
		want = []counts{
			{paywarden.ObjectCustomer, StatusDone, true, 4, 4, 0, 0, 2},
			{paywarden.ObjectPayout, StatusDone, false, 2, 2, 0, 0, 1},
		}
		if diff := cmp.Diff(want, countsOf(res)); diff != "" {
			t.Errorf("the resumed run (-want +got):\n%s", diff)
		}
		wantLog := []string{
			"/v1/customers ", "/v1/customers cus_005", // the second held, then given up
			"/v1/customers cus_005", "/v1/customers cus_002", "/v1/payouts ",
		}
		if diff := cmp.Diff(wantLog, f.log()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(ids(customers), mirrored(t, st, paywarden.ObjectCustomer)); diff != "" {
			t.Errorf("mirrored customers (-want +got):\n%s", diff)
		}
		cur, err = st.SyncCursor(context.Background(), paywarden.ObjectCustomer)
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Done || cur.Listed != 7 || cur.Written != 7 || cur.Pages != 3 {
			t.Errorf("cursor after the resumed run: got %+v, want done, 7 listed and written in 3 pages in all", cur)
		}
	})
}

// TestCursorObjectGone resumes a listing whose cursor names an object
// deleted at Stripe since: Stripe refuses starting_after, and the type is
// listed again from its newest object, writing only what it had not
// stored: cus_004 to cus_001, not cus_007 and cus_006 again.
func TestCursorObjectGone(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		f := newFakeStripe(t)
		f.add(paywarden.ObjectCustomer, "cus", 7)
		c := f.client(t, nil)
		opts := Options{Types: []string{paywarden.ObjectCustomer}, PageSize: 3}
		ctx, cancel := context.WithCancel(context.Background())
		arrived := f.holdRequest(2)
		go func() { <-arrived; cancel() }()
		if _, err := Run(ctx, c, st, opts); err == nil {
			t.Fatal("an interrupted run returned no error")
		}
		f.remove(paywarden.ObjectCustomer, "cus_005")
		res, err := Run(context.Background(), c, st, opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]counts{{paywarden.ObjectCustomer, StatusDone, true, 6, 4, 2, 0, 2}}, countsOf(res)); diff != "" {
			t.Errorf("the resumed run (-want +got):\n%s", diff)
		}
		want := []string{"/v1/customers ", "/v1/customers cus_005", "/v1/customers cus_005", "/v1/customers ", "/v1/customers cus_004"}
		if diff := cmp.Diff(want, f.log()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		cur, err := st.SyncCursor(context.Background(), paywarden.ObjectCustomer)
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Done || cur.LastID != "cus_001" || cur.Listed != 6 || cur.Pages != 2 {
			t.Errorf("cursor: got %+v, want done after cus_001, 6 listed in 2 pages since it started over", cur)
		}
	})
}

// TestWebhookNewerKept lists objects the mirror already holds: state from
// an event created after the listing is kept, state from an older event is
// replaced.
func TestWebhookNewerKept(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		ctx := context.Background()
		f := newFakeStripe(t)
		f.add(paywarden.ObjectCharge, "ch", 3)
		hook := func(id, status string, version time.Time) *paywarden.MirrorObject {
			data := fmt.Sprintf(`{"id":%q,"object":"charge","status":%q,"amount":999,"currency":"usd","created":1}`, id, status)
			return &paywarden.MirrorObject{Type: paywarden.ObjectCharge, ID: id, Status: status, Amount: 999,
				Currency: "usd", Created: time.Unix(1, 0).UTC(), Data: []byte(data), Version: version, EventID: "evt_" + id}
		}
		if _, err := st.UpsertObjects(ctx, []*paywarden.MirrorObject{
			hook("ch_003", "refunded", time.Now().Add(time.Hour)), // an event created after the listing
			hook("ch_002", "pending", time.Now().Add(-time.Hour)), // an event from before it
		}); err != nil {
			t.Fatal(err)
		}
		res, err := Run(ctx, f.client(t, nil), st, Options{Types: []string{paywarden.ObjectCharge}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]counts{{paywarden.ObjectCharge, StatusDone, false, 3, 2, 0, 1, 1}}, countsOf(res)); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		kept, err := st.Object(ctx, paywarden.ObjectCharge, "ch_003")
		if err != nil {
			t.Fatal(err)
		}
		if kept.Status != "refunded" || kept.EventID != "evt_ch_003" {
			t.Errorf("ch_003: got status %q from %q, want the newer webhook state (refunded, evt_ch_003)", kept.Status, kept.EventID)
		}
		replaced, err := st.Object(ctx, paywarden.ObjectCharge, "ch_002")
		if err != nil {
			t.Fatal(err)
		}
		if replaced.Status != "succeeded" || !replaced.Fetched || replaced.Amount != 200 {
			t.Errorf("ch_002: got status %q, fetched %t, amount %d; want the listed state (succeeded, fetched, 200)",
				replaced.Status, replaced.Fetched, replaced.Amount)
		}
	})
}

// TestListingVersion checks the second a listing is dated: an event
// created in the second its page was requested wins over the page, one
// from the second before loses (the listing is fetched, so a tie goes to
// it).
func TestListingVersion(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		ctx := context.Background()
		sent := time.Date(2026, 12, 3, 12, 0, 0, 500_000_000, time.UTC)
		obj := func(id, status string) []byte {
			return fmt.Appendf(nil, `{"id":%q,"object":"customer","description":%q,"created":1}`, id, status)
		}
		if _, err := st.UpsertObjects(ctx, []*paywarden.MirrorObject{
			{Type: "customer", ID: "cus_same", Data: obj("cus_same", "event"), Version: sent.Truncate(time.Second), EventID: "evt_1"},
			{Type: "customer", ID: "cus_before", Data: obj("cus_before", "event"), Version: sent.Truncate(time.Second).Add(-time.Second), EventID: "evt_2"},
		}); err != nil {
			t.Fatal(err)
		}
		page := &stripeapi.ListPage{SentAt: sent, Objects: []json.RawMessage{obj("cus_same", "listed"), obj("cus_before", "listed")}}
		n, err := storePage(ctx, st, paywarden.ObjectCustomer, page)
		if err != nil {
			t.Fatal(err)
		}
		if n.written != 1 || n.newer != 1 || n.lastID != "cus_before" {
			t.Errorf("storePage: got %+v, want 1 written, 1 newer kept, last cus_before", n)
		}
		for id, want := range map[string]string{"cus_same": "evt_1", "cus_before": ""} {
			o, err := st.Object(ctx, paywarden.ObjectCustomer, id)
			if err != nil {
				t.Fatal(err)
			}
			if o.EventID != want {
				t.Errorf("%s: got state of event %q, want %q", id, o.EventID, want)
			}
		}
	})
}

// TestSince passes --since as created[gte]. A later run whose --since its
// cursor already covers skips or continues the type with the cursor's own
// bound; one that asks for older objects starts the type over.
func TestSince(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		ctx := context.Background()
		f := newFakeStripe(t)
		all := f.add(paywarden.ObjectCustomer, "cus", 5)
		c := f.client(t, nil)
		created := func(i int) time.Time { return time.Unix(all[i]["created"].(int64), 0) } // all[0] is cus_005
		run := func(what string, opts Options, want counts) {
			t.Helper()
			opts.Types = []string{paywarden.ObjectCustomer}
			res, err := Run(ctx, c, st, opts)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if diff := cmp.Diff([]counts{want}, countsOf(res)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", what, diff)
			}
		}
		gte := func(i int) string { return fmt.Sprintf("created%%5Bgte%%5D=%d", created(i).Unix()) }

		run("--since cus_004's second", Options{Since: created(1).Add(300 * time.Millisecond)},
			counts{paywarden.ObjectCustomer, StatusDone, false, 2, 2, 0, 0, 1})
		if q := f.query(0); !strings.Contains(q, gte(1)) {
			t.Errorf("query: got %s, want %s", q, gte(1))
		}
		run("a later --since, covered", Options{Since: created(0)}, counts{Type: paywarden.ObjectCustomer, Status: StatusSkipped})
		run("an earlier --since", Options{Since: created(2)}, counts{paywarden.ObjectCustomer, StatusDone, false, 3, 1, 2, 0, 1})
		run("no --since", Options{}, counts{paywarden.ObjectCustomer, StatusDone, false, 5, 2, 3, 0, 1})
		if n := len(f.log()); n != 3 || !strings.Contains(f.query(1), gte(2)) || strings.Contains(f.query(2), "created") {
			t.Errorf("requests: got %d (%s, %s), want 3, the second from cus_003, the last unbounded", n, f.query(1), f.query(2))
		}

		// An interrupted listing of every object resumes under a later
		// --since, such as a duration given again, with its own bound.
		ctx2, cancel := context.WithCancel(ctx)
		arrived := f.holdRequest(5)
		go func() { <-arrived; cancel() }()
		if _, err := Run(ctx2, c, st, Options{Types: []string{paywarden.ObjectCustomer}, Restart: true, PageSize: 2}); err == nil {
			t.Fatal("an interrupted run returned no error")
		}
		run("a resumed run with a later --since", Options{Since: created(0), PageSize: 2},
			counts{paywarden.ObjectCustomer, StatusDone, true, 3, 0, 3, 0, 2})
		if q := f.query(5); strings.Contains(q, "created") || !strings.Contains(q, "starting_after=cus_004") {
			t.Errorf("the resumed request: got %s, want after cus_004 without created[gte]", q)
		}
	})
}

func TestRefusesUnknownType(t *testing.T) {
	for _, types := range [][]string{{"account"}, {paywarden.ObjectCustomer, "event"}} {
		_, err := Run(context.Background(), nil, nil, Options{Types: types})
		if paywarden.ErrorCode(err) != paywarden.EINVALID {
			t.Errorf("Run(%v): got %v, want %s", types, err, paywarden.EINVALID)
		}
	}
	if err := ValidateTypes(paywarden.MirroredTypes); err != nil {
		t.Errorf("ValidateTypes(MirroredTypes): %v", err)
	}
}

// TestStoredLookup stores a page twice: objects with and without a created
// time (read by window and one by one) are found unchanged the second time.
func TestStoredLookup(t *testing.T) {
	forEachStore(t, func(t *testing.T, st paywarden.Store) {
		ctx := context.Background()
		page := &stripeapi.ListPage{SentAt: time.Now(), Objects: []json.RawMessage{
			json.RawMessage(`{"id":"cus_3","object":"customer","created":1700000003}`),
			json.RawMessage(`{"id":"cus_x","object":"customer"}`),
			json.RawMessage(`{"id":"cus_2","object":"customer","created":1700000002}`),
			json.RawMessage(`{"id":"cus_1","object":"customer","created":1700000002}`),
		}}
		for i, want := range []pageCounts{{written: 4, lastID: "cus_1"}, {unchanged: 4, lastID: "cus_1"}} {
			n, err := storePage(ctx, st, paywarden.ObjectCustomer, page)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("store %d: got %+v, want %+v", i+1, n, want)
			}
		}
		bad := &stripeapi.ListPage{SentAt: time.Now(), Objects: []json.RawMessage{json.RawMessage(`{"id":"ch_1","object":"charge"}`)}}
		if _, err := storePage(ctx, st, paywarden.ObjectCustomer, bad); paywarden.ErrorCode(err) != paywarden.ESTRIPEUNAVAILABLE {
			t.Errorf("a charge among customers: got %v, want %s", err, paywarden.ESTRIPEUNAVAILABLE)
		}
	})
}

package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
)

// loadReportFixture writes the objects of one of the report package's
// hand-computed datasets into the harness's mirror and returns what the
// dataset expects.
func loadReportFixture(t *testing.T, h *harness, name string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "report", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Objects []struct {
			Version string
			Object  json.RawMessage
		}
		Expect map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for _, o := range f.Objects {
		var s struct {
			ID, Object string
			Created    int64
		}
		if err := json.Unmarshal(o.Object, &s); err != nil {
			t.Fatal(err)
		}
		created := time.Unix(s.Created, 0).UTC()
		v := created
		if o.Version != "" {
			if v, err = time.Parse(time.RFC3339, o.Version); err != nil {
				t.Fatal(err)
			}
		}
		_, err := h.store.UpsertObjects(context.Background(), []*paywarden.MirrorObject{{
			Type: s.Object, ID: s.ID, Created: created, Data: o.Object, Version: v, Fetched: true}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return f.Expect
}

// The reports answer from the mirror with a reports:read token and never
// call Stripe: the Stripe behind this harness fails every request and
// records it.
func TestReportsFromMirror(t *testing.T) {
	f := newFaultServer(t, reply(500, nil, `{}`))
	h := newHarness(t, f.URL, "")
	expect := loadReportFixture(t, h, "revenue_charges")
	tok := h.token(paywarden.ScopeReportsRead)

	r := h.do("GET", "/v1/reports/revenue?from=2026-01-01&to=2026-03-01&interval=month", tok, "", "")
	if r.status != 200 {
		t.Fatalf("got %d, want 200: %s", r.status, r.body)
	}
	if got := r.header.Get("Paywarden-Report-Source"); got != "charges" {
		t.Errorf("got Paywarden-Report-Source %q, want charges", got)
	}
	var got struct{ Rows any }
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	var want any
	json.Unmarshal(expect["rows"], &want)
	if diff := cmp.Diff(want, got.Rows); diff != "" {
		t.Errorf("rows differ from the hand-computed ones (-want +got):\n%s", diff)
	}

	r = h.do("GET", "/v1/reports/revenue?from=2026-02-01&to=2026-03-01&currency=JPY&format=csv", tok, "", "")
	if r.status != 200 {
		t.Fatalf("csv: got %d, want 200: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("got Content-Type %q, want text/csv", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := [][]string{
		{"period", "currency", "gross", "refunded", "disputed", "fees", "net", "count", "source"},
		{"2026-02-01", "jpy", "5000", "1500", "0", "", "3500", "1", "charges"},
	}
	if diff := cmp.Diff(wantCSV, recs); diff != "" {
		t.Errorf("csv differs (-want +got):\n%s", diff)
	}
	if seen := f.seen(); len(seen) != 0 {
		t.Errorf("reports called Stripe %d times, want never", len(seen))
	}
}

func TestReportsSubscriptionsAndPayouts(t *testing.T) {
	f := newFaultServer(t, reply(500, nil, `{}`))
	h := newHarness(t, f.URL, "")
	subs := loadReportFixture(t, h, "subscriptions")
	pays := loadReportFixture(t, h, "payouts")
	tok := h.token(paywarden.ScopeReportsRead)

	r := h.do("GET", "/v1/reports/subscriptions?at=2026-03-01&from=2026-01-01", tok, "", "")
	if r.status != 200 {
		t.Fatalf("got %d, want 200: %s", r.status, r.body)
	}
	m := r.json(t)
	for _, k := range []string{"active", "trialing", "past_due", "canceled", "mrr", "new", "expansion", "contraction", "churned", "rows"} {
		var want any
		json.Unmarshal(subs[k], &want)
		if diff := cmp.Diff(want, m[k]); diff != "" {
			t.Errorf("%s differs (-want +got):\n%s", k, diff)
		}
	}
	// Without from, the movements are those of the month to at.
	r = h.do("GET", "/v1/reports/subscriptions?at=2026-03-01&currency=usd&format=csv", tok, "", "")
	recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || r.status != 200 {
		t.Fatalf("got %d, %v: %s", r.status, err, r.body)
	}
	if len(recs) != 2 || recs[1][0] != "2026-02-01" || recs[1][1] != "usd" || recs[1][12] != "50500" {
		t.Errorf("got %v, want the header and one usd row for February ending at 50500 (the fixture's usd MRR)", recs)
	}

	r = h.do("GET", "/v1/reports/payouts?from=2026-01-01&to=2026-02-01&interval=week", tok, "", "")
	if r.status != 200 {
		t.Fatalf("got %d, want 200: %s", r.status, r.body)
	}
	var want any
	json.Unmarshal(pays["rows"], &want)
	if diff := cmp.Diff(want, r.json(t)["rows"]); diff != "" {
		t.Errorf("payout rows differ (-want +got):\n%s", diff)
	}
	if seen := f.seen(); len(seen) != 0 {
		t.Errorf("reports called Stripe %d times, want never", len(seen))
	}
}

func TestReportsAuthAndValidation(t *testing.T) {
	f := newFaultServer(t, reply(500, nil, `{}`))
	h := newHarness(t, f.URL, "")
	reader, admin := h.token(paywarden.ScopeReportsRead), h.token(paywarden.ScopeAdmin)
	other := h.token(paywarden.ScopePaymentsRead, paywarden.ScopeSubscriptionsRead)
	const ok = "/v1/reports/revenue?from=2026-01-01&to=2026-02-01"

	checkProblem(t, h.do("GET", ok, "", "", ""), 401, paywarden.EUNAUTHORIZED)
	checkProblem(t, h.do("GET", ok, other, "", ""), 403, paywarden.EFORBIDDEN)
	checkProblem(t, h.do("GET", "/v1/reports/payouts?from=2026-01-01&to=2026-02-01", other, "", ""), 403, paywarden.EFORBIDDEN)
	if r := h.do("GET", ok, admin, "", ""); r.status != 200 {
		t.Errorf("admin: got %d, want 200: %s", r.status, r.body)
	}
	tests := []struct{ path, param string }{
		{"/v1/reports/revenue?to=2026-02-01", "from"},
		{"/v1/reports/revenue?from=2026-01-01", "to"},
		{"/v1/reports/payouts?to=2026-02-01", "from"},
		{ok + "&interval=year", "interval"},
		{ok + "&format=xml", "format"},
		{ok + "&currency=dollars", "currency"},
		{ok + "&at=2026-01-01", "at"},
		{"/v1/reports/revenue?from=2026-02-01&to=2026-01-01", "from"},
		{"/v1/reports/revenue?from=yesterday&to=2026-01-01", "from"},
		{"/v1/reports/revenue?from=2000-01-01&to=2026-01-01&interval=day", "from"},
		{"/v1/reports/subscriptions?at=2026-01-01&to=2026-01-01", "at"},
		{ok + "&from=2026-01-02", "from"},
	}
	for _, tt := range tests {
		p := checkProblem(t, h.do("GET", tt.path, reader, "", ""), 400, paywarden.EINVALID)
		if p["param"] != tt.param {
			t.Errorf("%s: got param %v, want %s: %v", tt.path, p["param"], tt.param, p)
		}
	}
}

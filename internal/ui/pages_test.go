package ui

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
)

// insert stores events received a second apart, oldest first.
func (h *harness) insert(es ...*paywarden.Event) {
	h.t.Helper()
	for i, e := range es {
		e.Created = h.clock.Now()
		e.ReceivedAt = h.clock.Now().Add(time.Duration(i-len(es)) * time.Second)
		e.APIVersion, e.Endpoint = "2025-01-27.acacia", "default"
		if e.Payload == nil {
			e.Payload = []byte(`{"id":"` + e.ID + `"}`)
		}
	}
	if _, err := h.st.InsertEvents(context.Background(), es); err != nil {
		h.t.Fatal(err)
	}
}

var eventRow = regexp.MustCompile(`<td><a href="/ui/events/(evt_[a-z0-9_]+)">`)

func eventIDs(body string) []string {
	var ids []string
	for _, m := range eventRow.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestEventsFilters(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	h.insert(
		&paywarden.Event{ID: "evt_a", Type: "customer.updated", ObjectID: "cus_1", ObjectType: "customer", Status: paywarden.EventProcessed},
		&paywarden.Event{ID: "evt_b", Type: "invoice.paid", ObjectID: "in_1", ObjectType: "invoice", Status: paywarden.EventDead},
		&paywarden.Event{ID: "evt_c", Type: "customer.updated", ObjectID: "cus_2", ObjectType: "customer", Status: paywarden.EventDead},
	)
	today := h.clock.Now().Format(time.DateOnly)
	tomorrow := h.clock.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"evt_c", "evt_b", "evt_a"}},
		{"type=customer.updated", []string{"evt_c", "evt_a"}},
		{"status=dead", []string{"evt_c", "evt_b"}},
		{"object=cus_1", []string{"evt_a"}},
		{"type=customer.updated&status=dead", []string{"evt_c"}},
		{"from=" + today + "&to=" + today, []string{"evt_c", "evt_b", "evt_a"}},
		{"from=" + tomorrow, nil},
	} {
		r := h.do(c, "GET", "/ui/events?"+tt.query, nil)
		wantStatus(t, tt.query, r, http.StatusOK)
		if diff := cmp.Diff(tt.want, eventIDs(r.body)); diff != "" {
			t.Errorf("events?%s (-want +got):\n%s", tt.query, diff)
		}
	}
	wantStatus(t, "bad date", h.do(c, "GET", "/ui/events?from=03/12/2026", nil), http.StatusBadRequest)
	wantStatus(t, "bad status", h.do(c, "GET", "/ui/events?status=lost", nil), http.StatusBadRequest)
}

func TestEventsPagination(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	var es []*paywarden.Event
	for i := range pageSize + 5 {
		es = append(es, &paywarden.Event{ID: fmt.Sprintf("evt_%03d", i), Type: "customer.updated", Status: paywarden.EventDead})
	}
	h.insert(es...)
	r := h.do(c, "GET", "/ui/events?status=dead", nil)
	first := eventIDs(r.body)
	if len(first) != pageSize || first[0] != fmt.Sprintf("evt_%03d", pageSize+4) {
		t.Fatalf("first page: got %d events from %v, want %d from the newest", len(first), first[:1], pageSize)
	}
	m := regexp.MustCompile(`href="/ui/events\?([^"]+)">Older events`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no link to the next page")
	}
	next, _ := url.ParseQuery(strings.ReplaceAll(m[1], "&amp;", "&"))
	if next.Get("status") != "dead" || next.Get("after") != first[len(first)-1] {
		t.Errorf("next page link %q: want the filter kept and after=%s", m[1], first[len(first)-1])
	}
	r = h.do(c, "GET", "/ui/events?"+next.Encode(), nil)
	want := []string{"evt_004", "evt_003", "evt_002", "evt_001", "evt_000"}
	if diff := cmp.Diff(want, eventIDs(r.body)); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	if strings.Contains(r.body, "Older events") {
		t.Errorf("the last page links to a next one")
	}
}

func TestEventPage(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	// Secrets are made at run time, with split prefixes, so none is ever
	// in a tracked file.
	key := "sk_" + "live_" + strings.Repeat("Zq9", 12)
	clientSecret := "pi_3Abc" + "_secret_" + "Qw8Er7Ty6Ui5"
	payload := `{"id":"evt_p","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_3Abc","object":"payment_intent",` +
		`"amount":1999,"currency":"eur","client_secret":"` + clientSecret + `","metadata":{"note":"` + key + `"}}}}`
	h.insert(&paywarden.Event{ID: "evt_p", Type: "payment_intent.succeeded", ObjectID: "pi_3Abc", ObjectType: "payment_intent",
		Status: paywarden.EventFailed, Attempts: 3, LastError: "fetching payment_intent: stripe_unavailable", Payload: []byte(payload)})
	if _, err := h.st.UpsertObjects(context.Background(), []*paywarden.MirrorObject{{
		Type: "payment_intent", ID: "pi_3Abc", Status: "succeeded", Currency: "eur", Amount: 1999,
		Created: h.clock.Now(), Version: h.clock.Now(), Fetched: true, EventID: "evt_p",
		Data: []byte(`{"id":"pi_3Abc","object":"payment_intent","status":"succeeded","client_secret":"` + clientSecret + `"}`),
	}}); err != nil {
		t.Fatal(err)
	}
	r := h.do(c, "GET", "/ui/events/evt_p", nil)
	wantStatus(t, "event page", r, http.StatusOK)
	for _, secret := range []string{key, clientSecret, "Qw8Er7Ty6Ui5"} {
		if strings.Contains(r.body, secret) {
			t.Errorf("the event page shows a secret %q", secret[:8])
		}
	}
	for _, want := range []string{
		"sk_live_…REDACTED",                           // the log redactor's mark
		"fetching payment_intent: stripe_unavailable", // the last error
		"<dt>Attempts</dt><dd>3</dd>",
		"19.99 EUR",              // the mirror object's amount
		"(read from Stripe)",     // and where its state came from
		`&#34;amount&#34;: 1999`, // the payload, indented
		`action="/ui/events/evt_p/replay"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the event page lacks %q", want)
		}
	}
	wantStatus(t, "missing event", h.do(c, "GET", "/ui/events/evt_nope", nil), http.StatusNotFound)
}

func TestReplayDeadOfType(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	h.insert(
		&paywarden.Event{ID: "evt_a", Type: "invoice.paid", Status: paywarden.EventDead},
		&paywarden.Event{ID: "evt_b", Type: "invoice.paid", Status: paywarden.EventDead},
		&paywarden.Event{ID: "evt_c", Type: "invoice.paid", Status: paywarden.EventProcessed},
		&paywarden.Event{ID: "evt_d", Type: "customer.updated", Status: paywarden.EventDead},
	)
	r := h.do(c, "GET", "/ui/events?type=invoice.paid", nil)
	if !strings.Contains(r.body, "Replay every dead invoice.paid event") {
		t.Fatalf("the filtered timeline has no replay-by-type button")
	}
	r = h.do(c, "POST", "/ui/events/replay", url.Values{"csrf": {csrfOf(t, r.body)}, "type": {"invoice.paid"}})
	wantRedirect(t, "replay by type", r, "/ui/events?replayed=2&type=invoice.paid")
	for id, want := range map[string]paywarden.EventStatus{"evt_a": paywarden.EventPending, "evt_b": paywarden.EventPending,
		"evt_c": paywarden.EventProcessed, "evt_d": paywarden.EventDead} {
		if got := h.status(id); got != want {
			t.Errorf("%s: got %s, want %s", id, got, want)
		}
	}
	r = h.do(c, "GET", r.Header.Get("Location"), nil)
	if !strings.Contains(r.body, "Replayed 2 dead invoice.paid events") {
		t.Errorf("the timeline does not say what was replayed:\n%s", r.body)
	}
}

func TestOverview(t *testing.T) {
	reg := prometheus.NewRegistry()
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paywarden_subscriber_deliveries_total"}, []string{"subscriber", "result"})
	reg.MustRegister(deliveries)
	deliveries.WithLabelValues("billing", "delivered").Add(7)
	deliveries.WithLabelValues("billing", "failed").Add(2)
	h := newHarness(t, func(o *Options) { o.Gatherer = reg })
	c, _ := h.admin()
	h.insert(
		&paywarden.Event{ID: "evt_a", Type: "customer.updated", Status: paywarden.EventProcessed},
		&paywarden.Event{ID: "evt_b", Type: "invoice.paid", Status: paywarden.EventDead, LastError: "handler: boom"},
		&paywarden.Event{ID: "evt_c", Type: "invoice.paid", Status: paywarden.EventQuarantined},
		&paywarden.Event{ID: "evt_d", Type: "invoice.paid", Status: paywarden.EventPending},
	)
	old := h.clock.Now().Add(-100 * 24 * time.Hour)
	if _, err := h.st.RecordKey(context.Background(), &paywarden.KeyRecord{Fingerprint: "fp_old", Capability: "default",
		Source: "env", Kind: paywarden.KeySecret, FirstSeen: old, LastSeen: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	r := h.do(c, "GET", "/ui/", nil)
	wantStatus(t, "overview", r, http.StatusOK)
	for _, want := range []string{
		`<span class="n">1</span><span class="what">dead</span>`,
		`<span class="n">1</span><span class="what">quarantined</span>`,
		`<span class="n">1</span><span class="what">pending</span>`,
		`<span class="n">0</span><span class="what">failed</span>`,
		"100 days — rotation due",
		"<td>billing</td><td>7</td><td class=\"err\">2</td>",
		"handler: boom",
		"Not recorded",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	// Four events in the last minute, stacked: one bar per status.
	if n := strings.Count(r.body, "<rect class=\"s-"); n != 4 {
		t.Errorf("the chart has %d bars, want 4", n)
	}
}

func TestPostureAndReportsNotAvailable(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	for _, path := range []string{"/ui/posture", "/ui/revenue"} {
		r := h.do(c, "GET", path, nil)
		wantStatus(t, path, r, http.StatusOK)
		if !strings.Contains(r.body, "Not available") {
			t.Errorf("%s does not say the data is not available", path)
		}
	}
	wantStatus(t, "CSV", h.do(c, "GET", "/ui/revenue.csv", nil), http.StatusNotFound)
}

func TestPosture(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.Posture = func(ctx context.Context) ([]Check, error) {
			return []Check{
				{Name: "tls", Status: "ok", Detail: "certificate valid for 80 days"},
				{Name: "webhook secret", Status: "fail", Detail: "one secret, no roll", Advice: "Add the new secret next to the old one before rolling."},
			}, nil
		}
	})
	c, _ := h.admin()
	r := h.do(c, "GET", "/ui/posture", nil)
	for _, want := range []string{"1 ok, 0 warnings, 1 failures", `<span class="badge p-fail">fail</span>`,
		"Add the new secret next to the old one before rolling."} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the posture page lacks %q", want)
		}
	}
}

func TestRevenue(t *testing.T) {
	var asked []string
	h := newHarness(t, func(o *Options) {
		o.Revenue = func(ctx context.Context, from, to time.Time, interval string) ([]RevenueRow, error) {
			asked = append(asked, from.Format(time.DateOnly)+" "+to.Format(time.DateOnly)+" "+interval)
			return []RevenueRow{
				{Period: "2026-10-01", Currency: "eur", Gross: 10000, Refunded: 1000, Fees: 320, Net: 8680, Count: 4},
				{Period: "2026-11-01", Currency: "eur", Gross: 20000, Net: 19400, Fees: 600, Count: 7},
				{Period: "2026-11-01", Currency: "usd", Gross: 5000, Net: 4800, Fees: 200, Count: 1},
				{Period: "2026-12-01", Currency: "usd", Gross: 0, Refunded: 0, Disputed: 3000, Net: -3000, Count: 0},
			}, nil
		}
		o.Subscriptions = func(ctx context.Context, at time.Time) (*Subscriptions, error) {
			return &Subscriptions{ByStatus: map[string]int{"active": 12, "past_due": 1},
				MRR: []MRR{{Currency: "eur", MRR: 120000, New: 5000, Expansion: 1000, Contraction: 500, Churned: 2000}}}, nil
		}
	})
	c, _ := h.admin()
	r := h.do(c, "GET", "/ui/revenue?from=2026-10-01&to=2026-12-31&interval=month", nil)
	wantStatus(t, "revenue", r, http.StatusOK)
	if diff := cmp.Diff([]string{"2026-10-01 2026-12-31 month"}, asked); diff != "" {
		t.Errorf("revenue asked (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Revenue in EUR", "Revenue in USD", "MRR in EUR: 1200.00 EUR", "-30.00 USD",
		"<th>active</th><th>past_due</th>", "<td>12</td><td>1</td>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the revenue page lacks %q", want)
		}
	}
	// 4 rows × 5 series, and 4 MRR movements.
	if n := strings.Count(r.body, "<rect class=\"c-"); n != 24 {
		t.Errorf("the charts have %d bars, want 24", n)
	}
	wantStatus(t, "bad interval", h.do(c, "GET", "/ui/revenue?interval=year", nil), http.StatusBadRequest)

	r = h.do(c, "GET", "/ui/revenue.csv?from=2026-10-01&to=2026-12-31&interval=month&currency=USD", nil)
	wantStatus(t, "CSV", r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("CSV Content-Type: got %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("CSV Content-Disposition: got %q, want an attachment", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"period", "currency", "gross", "refunded", "disputed", "fees", "net", "count"},
		{"2026-11-01", "usd", "5000", "0", "0", "200", "4800", "1"},
		{"2026-12-01", "usd", "0", "0", "3000", "0", "-3000", "0"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

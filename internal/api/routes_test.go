package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// TestRoutesStripeMock sends every Stripe-backed route a valid request and
// lets stripe-mock, which validates requests against Stripe's OpenAPI
// specification, check what paywarden sends.
func TestRoutesStripeMock(t *testing.T) {
	h := mockHarness(t)
	tok := h.token(paywarden.ScopeAdmin)
	tests := []struct {
		method, path, body string
		status             int
		fields             []string // in the answer
	}{
		{"POST", "/v1/payments", `{"amount":2000,"currency":"USD","customer":"cus_123","description":"order 7","metadata":{"order":"7"},"capture_method":"manual","payment_method":"pm_card_visa","confirm":true}`,
			201, []string{"id", "status", "amount", "currency", "customer", "client_secret", "created"}},
		{"POST", "/v1/payments", `{"amount":50,"currency":"eur"}`, 201, []string{"id", "client_secret"}},
		{"GET", "/v1/payments/pi_123", "", 200, []string{"id", "status", "amount", "currency", "client_secret"}},
		{"POST", "/v1/payments/pi_123/capture", `{"amount":1000}`, 200, []string{"id", "status"}},
		{"POST", "/v1/payments/pi_123/capture", ``, 200, []string{"id"}},
		{"POST", "/v1/payments/pi_123/cancel", ``, 200, []string{"id", "status"}},
		{"POST", "/v1/payments/pi_123/refunds", `{"amount":500,"reason":"requested_by_customer"}`, 201, []string{"id", "amount", "status"}},
		{"POST", "/v1/payments/pi_123/refunds", `{}`, 201, []string{"id"}},
		{"POST", "/v1/customers", `{"email":"ada@example.com","name":"Ada","metadata":{"crm":"42"}}`, 201, []string{"id", "email"}},
		{"GET", "/v1/customers/cus_123", "", 200, []string{"id", "email"}},
		{"POST", "/v1/subscriptions", `{"customer":"cus_123","price":"price_123","quantity":2,"trial_period_days":14}`,
			201, []string{"id", "status", "current_period_end", "latest_invoice"}},
		{"GET", "/v1/subscriptions/sub_123", "", 200, []string{"id", "status", "current_period_end"}},
		{"GET", "/v1/subscriptions?customer=cus_123&status=active&limit=5&starting_after=sub_1", "", 200, []string{"data", "has_more"}},
		{"POST", "/v1/subscriptions/sub_123", `{"price":"price_456","quantity":3,"proration_behavior":"none"}`, 200, []string{"id", "status"}},
		{"DELETE", "/v1/subscriptions/sub_123", ``, 200, []string{"id", "status"}},
		{"DELETE", "/v1/subscriptions/sub_123?at_period_end=true", ``, 200, []string{"id", "cancel_at_period_end"}},
		{"DELETE", "/v1/subscriptions/sub_123", `{"at_period_end":true}`, 200, []string{"id"}},
	}
	for i, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			idem := ""
			if tt.method != "GET" {
				idem = fmt.Sprintf("route-%d", i)
			}
			r := h.do(tt.method, tt.path, tok, idem, tt.body)
			if r.status != tt.status {
				t.Fatalf("got %d, want %d: %s", r.status, tt.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
			m := r.json(t)
			for _, f := range tt.fields {
				if _, ok := m[f]; !ok {
					t.Errorf("answer lacks %q: %s", f, r.body)
				}
			}
		})
	}
}

// GET /v1/payments lists from the mirror, without Stripe.
func TestListPaymentsFromMirror(t *testing.T) {
	f := newFaultServer(t, reply(500, nil, `{}`))
	h := newHarness(t, f.URL, "")
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var objs []*paywarden.MirrorObject
	for i := range 5 {
		cust := "cus_a"
		if i%2 == 1 {
			cust = "cus_b"
		}
		created := base.Add(time.Duration(i) * time.Hour)
		data := fmt.Sprintf(`{"id":"pi_%d","object":"payment_intent","amount":%d,"currency":"usd","customer":%q,"status":"succeeded","created":%d,"metadata":{}}`,
			i, 1000+i, cust, created.Unix())
		objs = append(objs, &paywarden.MirrorObject{
			Type: paywarden.ObjectPaymentIntent, ID: fmt.Sprintf("pi_%d", i), Customer: cust, Status: "succeeded",
			Currency: "usd", Amount: int64(1000 + i), Created: created, Data: []byte(data), Version: created, Fetched: true,
		})
	}
	if _, err := h.store.UpsertObjects(ctx, objs); err != nil {
		t.Fatal(err)
	}
	tok := h.token(paywarden.ScopePaymentsRead)

	r := h.do("GET", "/v1/payments?limit=2", tok, "", "")
	if r.status != 200 {
		t.Fatalf("got %d: %s", r.status, r.body)
	}
	m := r.json(t)
	data := m["data"].([]any)
	if len(data) != 2 || m["has_more"] != true || data[0].(map[string]any)["id"] != "pi_4" {
		t.Errorf("got %s, want pi_4, pi_3 and has_more", r.body)
	}
	r = h.do("GET", "/v1/payments?customer=cus_b&starting_after=pi_3", tok, "", "")
	m = r.json(t)
	data = m["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["id"] != "pi_1" || m["has_more"] != false {
		t.Errorf("got %s, want only pi_1", r.body)
	}
	if n := len(f.seen()); n != 0 {
		t.Errorf("Stripe was called %d times, want 0", n)
	}
}

func TestEvents(t *testing.T) {
	f := newFaultServer(t, reply(500, nil, `{}`))
	h := newHarness(t, f.URL, "")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	var events []*paywarden.Event
	for i, typ := range []string{"customer.created", "invoice.paid", "customer.updated"} {
		events = append(events, &paywarden.Event{
			ID: fmt.Sprintf("evt_%d", i), Type: typ, Created: now.Add(time.Duration(i) * time.Second),
			APIVersion: "2026-03-25.dahlia", ObjectID: "cus_1", ObjectType: "customer", Endpoint: "default",
			Payload: []byte(fmt.Sprintf(`{"id":"evt_%d","object":"event","type":%q}`, i, typ)),
			Status:  paywarden.EventPending, ReceivedAt: now, NextAttemptAt: now,
		})
	}
	if _, err := h.store.InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	read := h.token(paywarden.ScopeEventsRead)
	write := h.token(paywarden.ScopeEventsWrite)

	r := h.do("GET", "/v1/events?type=customer.created", read, "", "")
	m := r.json(t)
	if data := m["data"].([]any); r.status != 200 || len(data) != 1 || data[0].(map[string]any)["id"] != "evt_0" {
		t.Errorf("list by type: got %d %s", r.status, r.body)
	}
	r = h.do("GET", "/v1/events?status=pending&limit=2", read, "", "")
	m = r.json(t)
	if data := m["data"].([]any); len(data) != 2 || m["has_more"] != true {
		t.Errorf("list by status: got %s", r.body)
	}
	r = h.do("GET", "/v1/events/evt_1", read, "", "")
	m = r.json(t)
	if r.status != 200 || m["type"] != "invoice.paid" || m["payload"] == nil {
		t.Errorf("get: got %d %s", r.status, r.body)
	}
	checkProblem(t, h.do("GET", "/v1/events/evt_none", read, "", ""), 404, paywarden.ENOTFOUND)

	r = h.do("POST", "/v1/events/evt_1/replay", write, "replay-1", "")
	if r.status != 200 || r.json(t)["status"] != "pending" {
		t.Errorf("replay: got %d %s", r.status, r.body)
	}
	checkProblem(t, h.do("POST", "/v1/events/evt_none/replay", write, "replay-2", ""), 404, paywarden.ENOTFOUND)
	checkProblem(t, h.do("POST", "/v1/events/evt_1/replay", read, "replay-3", ""), 403, paywarden.EFORBIDDEN)
	if n := len(f.seen()); n != 0 {
		t.Errorf("Stripe was called %d times, want 0", n)
	}
}

func TestUnknownRoute(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopeAdmin)
	p := checkProblem(t, h.do("GET", "/v1/nothing", tok, "", ""), 404, paywarden.ENOTFOUND)
	if !strings.Contains(p["detail"].(string), "route") {
		t.Errorf("got detail %v", p["detail"])
	}
}

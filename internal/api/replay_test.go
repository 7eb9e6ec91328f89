package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/eventproc"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// POST /v1/events/{id}/replay of a quarantined event sets it pending; the
// workers then mirror the object as Stripe serves it at the pinned
// version (stripe-mock here), never the event's payload.
func TestReplayQuarantinedEvent(t *testing.T) {
	h := mockHarness(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	payload := `{"id":"evt_q","object":"event","type":"customer.updated","api_version":"2020-08-27","created":` +
		jsonInt(now.Unix()) + `,"data":{"object":{"id":"cus_Q","object":"customer","email":"payload@example.com","created":1}}}`
	if _, err := h.store.InsertEvents(ctx, []*paywarden.Event{{
		ID: "evt_q", Type: "customer.updated", Created: now, APIVersion: "2020-08-27", ObjectID: "cus_Q",
		ObjectType: "customer", Endpoint: "default", Payload: []byte(payload),
		Status: paywarden.EventQuarantined, ReceivedAt: now, NextAttemptAt: now,
	}}); err != nil {
		t.Fatal(err)
	}
	r := h.do("POST", "/v1/events/evt_q/replay", h.token(paywarden.ScopeEventsWrite), "replay-q", "")
	if r.status != 200 || r.json(t)["status"] != "pending" {
		t.Fatalf("replay: got %d %s, want 200 and pending", r.status, r.body)
	}

	sc, err := stripeapi.New(stripeapi.Config{
		Keys: map[string]paywarden.Secret{paywarden.CapabilityDefault: stripeKey}, APIBase: mockURL, RateLimit: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := eventproc.New(eventproc.Options{Store: h.store, Fetcher: sc, APIVersion: stripeapi.APIVersion, Owner: "t"})
	if _, err := p.ProcessBatch(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := h.store.Event(ctx, "evt_q")
	if err != nil || e.Status != paywarden.EventProcessed {
		t.Fatalf("after processing: got %+v (%v), want processed", e, err)
	}
	o, err := h.store.Object(ctx, paywarden.ObjectCustomer, "cus_Q")
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Email string }
	if err := json.Unmarshal(o.Data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Email == "payload@example.com" || !o.Fetched {
		t.Errorf("mirror holds email %q fetched=%t, want Stripe's answer, not the payload's", c.Email, o.Fetched)
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

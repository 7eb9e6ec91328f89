package eventproc

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
	stripewebhook "github.com/stripe/stripe-go/v85/webhook"
)

// TestDeliveries checks that a subscriber verifies deliveries with
// stripe-go's own webhook code, and that a failing subscriber fails the
// event, which is delivered again once it recovers.
func TestDeliveries(t *testing.T) {
	secret := paywarden.NewSecret("whsec_" + strings.Repeat("s1", 16))
	var mu sync.Mutex
	var got []string
	failing := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := stripewebhook.ConstructEventWithOptions(body, r.Header.Get(SignatureHeader), secret.Reveal(),
			stripewebhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
		if err != nil {
			t.Errorf("stripe-go refused a delivery: %v", err)
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if failing {
			w.WriteHeader(503)
			return
		}
		got = append(got, ev.ID)
	}))
	defer srv.Close()

	c := &clock{now: time.Now().UTC()}
	db := openStore(t, c)
	// Registered by handlers.go, as serve wires it.
	p := New(Options{Store: db, Owner: "w1", Now: c.Now, BaseBackoff: time.Second, Client: srv.Client(),
		Subscribers: []paywarden.Subscriber{{Name: "svc", URL: srv.URL, Types: []string{"customer.*"}, Secret: secret}}})

	e := customerEvent("evt_sub", c.Now(), "a@example.com")
	e.APIVersion = stripe.APIVersion
	insert(t, db, e, chargeEvent("evt_other", c.Now(), 100))
	drain(t, p)
	if ev, _ := db.Event(t.Context(), "evt_sub"); ev.Status != paywarden.EventFailed {
		t.Fatalf("with the subscriber down: got %s, want failed", ev.Status)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	c.Add(time.Minute)
	drain(t, p)
	if ev, _ := db.Event(t.Context(), "evt_sub"); ev.Status != paywarden.EventProcessed {
		t.Errorf("after the subscriber recovered: got %s, want processed", ev.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "evt_sub" {
		t.Errorf("delivered: got %v, want [evt_sub] (charge events are not subscribed)", got)
	}
}

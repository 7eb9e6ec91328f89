package stripeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// TestListEventsShape checks the request against stripe-mock, which
// validates it against Stripe's OpenAPI specification.
func TestListEventsShape(t *testing.T) {
	c := mockClient(t)
	n := 0
	err := c.ListEvents(context.Background(), time.Now().Add(-24*time.Hour), func(raw []byte) error {
		var e struct{ ID, Object string }
		if err := json.Unmarshal(raw, &e); err != nil || e.Object != "event" || !strings.HasPrefix(e.ID, "evt_") {
			t.Errorf("listed %s (%v), want an event", raw, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("stripe-mock listed no events")
	}
}

// TestListEventsPages checks paging against a server with state, which
// stripe-mock does not have: three pages of two, then the end.
func TestListEventsPages(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/v1/events" || r.URL.Query().Get("created[gte]") != "1700000000" {
			t.Errorf("request: got %s", r.URL)
		}
		page := map[string]int{"": 0, "evt_2": 1, "evt_4": 2}[r.URL.Query().Get("starting_after")]
		more := page < 2
		fmt.Fprintf(w, `{"object":"list","has_more":%t,"url":"/v1/events","data":[{"id":"evt_%d","object":"event"},{"id":"evt_%d","object":"event"}]}`,
			more, 2*page+1, 2*page+2)
	}))
	defer srv.Close()
	c, err := New(Config{Keys: map[string]paywarden.Secret{paywarden.CapabilityDefault: testKey("sk", "p")},
		APIBase: srv.URL, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	err = c.ListEvents(context.Background(), time.Unix(1700000000, 0), func(raw []byte) error {
		var e struct{ ID string }
		json.Unmarshal(raw, &e)
		ids = append(ids, e.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids, ","); got != "evt_1,evt_2,evt_3,evt_4,evt_5,evt_6" {
		t.Errorf("got %s, want evt_1..evt_6", got)
	}
	if calls.Load() != 3 {
		t.Errorf("requests: got %d, want 3", calls.Load())
	}
}

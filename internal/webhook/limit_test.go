package webhook

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// TestLimit holds two requests inside Submit: a third is answered 503 with
// Retry-After without being submitted, and once one of the two returns the
// next is taken again.
func TestLimit(t *testing.T) {
	rc, rec := newTestReceiver(t, t0)
	entered := make(chan struct{})
	release := make(chan struct{})
	submit := rc.o.Submit
	rc.o.Submit = func(ctx context.Context, e *paywarden.Event) (bool, error) {
		if strings.HasPrefix(e.ID, "evt_held") {
			entered <- struct{}{}
			<-release
		}
		return submit(ctx, e)
	}
	h := rc.Limit(2)
	send := func(id string) *http.Response {
		body := eventJSON(id, "customer.updated", t0, false, stripe.APIVersion)
		return post(t, h, "/webhooks/stripe", Sign(body, secretA, t0), body)
	}

	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 {
		wg.Go(func() { codes[i] = send(fmt.Sprintf("evt_held%d", i)).StatusCode })
		<-entered
	}
	resp := send("evt_shed")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third request at once: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	release <- struct{}{}
	release <- struct{}{}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("held request %d: %d, want 200", i, c)
		}
	}
	if resp := send("evt_free"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the held requests returned: %d, want 200", resp.StatusCode)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.events["evt_shed"] != nil {
		t.Error("the shed request was submitted")
	}
	if len(rec.events) != 3 {
		t.Errorf("%d events submitted, want 3", len(rec.events))
	}
}

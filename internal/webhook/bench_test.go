package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripesig"
	"github.com/stripe/stripe-go/v85"
)

// BenchmarkReceiver measures the receiver's own work per ~2.5 KB event —
// read, verify, decode the envelope, hand over — with the store left out:
//
//	go test -run=NONE -bench=Receiver ./internal/webhook
func BenchmarkReceiver(b *testing.B) {
	rc, _ := newTestReceiver(b, t0)
	rc.o.Submit = func(context.Context, *paywarden.Event) (bool, error) { return true, nil }
	body := eventJSON("evt_bench", "customer.updated", t0, false, stripe.APIVersion)
	body = append(body[:len(body)-1], `,"padding":"`+strings.Repeat("x", 2000)+`"}`...)
	sig := stripesig.Sign(body, secretA, t0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/webhooks/stripe", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", sig)
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

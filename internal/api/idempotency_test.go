package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
)

const payBody = `{"amount":2000,"currency":"usd"}`

func TestIdempotencyRequired(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopeAdmin)
	for _, rt := range []struct{ method, path string }{
		{"POST", "/v1/payments"}, {"POST", "/v1/payments/pi_1/capture"}, {"POST", "/v1/customers"},
		{"DELETE", "/v1/subscriptions/sub_1"}, {"POST", "/v1/events/evt_1/replay"},
	} {
		p := checkProblem(t, h.do(rt.method, rt.path, tok, "", payBody), 400, paywarden.EINVALID)
		if p["param"] != "Idempotency-Key" {
			t.Errorf("%s %s: got param %v, want Idempotency-Key", rt.method, rt.path, p["param"])
		}
	}
	checkProblem(t, h.do("POST", "/v1/payments", tok, strings.Repeat("k", 256), payBody), 400, paywarden.EINVALID)
	checkProblem(t, h.do("POST", "/v1/payments", tok, "with space", payBody), 400, paywarden.EINVALID)
	if n := len(f.seen()); n != 0 {
		t.Errorf("Stripe was called %d times, want 0", n)
	}
}

func TestIdempotentReplay(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopePaymentsWrite)

	first := h.do("POST", "/v1/payments", tok, "order-1", payBody)
	if first.status != 201 {
		t.Fatalf("got %d: %s", first.status, first.body)
	}
	again := h.do("POST", "/v1/payments", tok, "order-1", payBody)
	if again.status != 201 || string(again.body) != string(first.body) {
		t.Errorf("replay: got %d %s, want the stored %s", again.status, again.body, first.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay not marked Idempotent-Replayed")
	}
	if n := len(f.seen()); n != 1 {
		t.Errorf("Stripe was called %d times, want 1", n)
	}
	p := checkProblem(t, h.do("POST", "/v1/payments", tok, "order-1", `{"amount":3000,"currency":"usd"}`), 409, paywarden.EIDEMPOTENCY)
	if !strings.Contains(p["detail"].(string), "different") {
		t.Errorf("got detail %v", p["detail"])
	}
	// Another path with the same key is another request.
	checkProblem(t, h.do("POST", "/v1/payments/pi_1/cancel", tok, "order-1", payBody), 409, paywarden.EIDEMPOTENCY)

	// Keys belong to a token: another token's same key acts anew, with
	// another Stripe key.
	other := h.token(paywarden.ScopePaymentsWrite)
	if r := h.do("POST", "/v1/payments", other, "order-1", payBody); r.status != 201 {
		t.Fatalf("other token: got %d: %s", r.status, r.body)
	}
	keys := f.seen()
	if len(keys) != 2 || keys[0] == keys[1] || keys[0] == "order-1" || !strings.HasPrefix(keys[0], "pw-") {
		t.Errorf("got Stripe keys %q, want two distinct derived keys", keys)
	}
}

// A request refused before it acted leaves its key free for a corrected
// request; one that failed at Stripe can be retried with the same key.
func TestIdempotencyNotStoredBeforeActing(t *testing.T) {
	f := newFaultServer(t, reply(503, nil, `{"error":{"type":"api_error"}}`), reply(503, nil, `{"error":{"type":"api_error"}}`),
		reply(503, nil, `{"error":{"type":"api_error"}}`), reply(503, nil, `{"error":{"type":"api_error"}}`), okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopePaymentsWrite)
	checkProblem(t, h.do("POST", "/v1/payments", tok, "k1", `{"amount":-5,"currency":"usd"}`), 400, paywarden.EINVALID)
	checkProblem(t, h.do("POST", "/v1/payments", tok, "k1", payBody), 502, paywarden.ESTRIPEUNAVAILABLE)
	if r := h.do("POST", "/v1/payments", tok, "k1", payBody); r.status != 201 {
		t.Fatalf("retry: got %d: %s", r.status, r.body)
	}
	keys := f.seen()
	if len(keys) != 5 {
		t.Fatalf("got %d Stripe attempts, want 5", len(keys))
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Errorf("got Stripe keys %q, want one key throughout", keys)
			break
		}
	}
}

// TestCrashAndRetry: the caller repeats its Idempotency-Key after the
// instance that served it is thrown away and a new one is built on the same
// SQLite file; Stripe sees the same idempotency key, so it cannot charge
// twice.
func TestCrashAndRetry(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	arrived := make(chan struct{})
	hang := func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-release
		http.Error(w, "gone", http.StatusBadGateway)
	}
	f := newFaultServer(t, hang, okPayment)
	h := newHarness(t, f.URL, "")
	t0 := time.Now()
	h.now = func() time.Time { return t0 }
	tok := h.token(paywarden.ScopePaymentsWrite)

	// The first instance takes the request and hangs inside Stripe.
	firstDone := make(chan response, 1)
	srv1 := h.srv
	go func() {
		req, _ := http.NewRequest("POST", srv1.URL+"/v1/payments", strings.NewReader(payBody))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", "crash-1")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			firstDone <- response{status: resp.StatusCode}
		} else {
			firstDone <- response{}
		}
	}()
	<-arrived

	// It "crashes": a new instance on the same file takes over. While the
	// lock holds, a repeat is refused as in flight.
	store1, srv1Closer := h.store, h.srv
	h.srv = nil
	h.start()
	checkProblem(t, h.do("POST", "/v1/payments", tok, "crash-1", payBody), 409, paywarden.EIDEMPOTENCY)

	// Once the lock has expired the repeat takes the key over and reaches
	// Stripe with the same idempotency key.
	h.now = func() time.Time { return t0.Add(api.DefaultIdempotencyLock + time.Second) }
	r := h.do("POST", "/v1/payments", tok, "crash-1", payBody)
	if r.status != 201 {
		t.Fatalf("retry after crash: got %d: %s", r.status, r.body)
	}
	keys := f.seen()
	if len(keys) < 2 || keys[len(keys)-1] != keys[0] {
		t.Errorf("got Stripe keys %q, want the same key before and after the crash", keys)
	}
	if want := api.StripeIdempotencyKey(tokenID(t, h, tok), "crash-1"); keys[0] != want {
		t.Errorf("got Stripe key %q, want %q", keys[0], want)
	}

	// A restarted instance replays the stored answer without Stripe.
	h.restart()
	n := len(f.seen())
	again := h.do("POST", "/v1/payments", tok, "crash-1", payBody)
	if again.status != 201 || string(again.body) != string(r.body) {
		t.Errorf("after restart: got %d %s, want the stored answer", again.status, again.body)
	}
	if len(f.seen()) != n {
		t.Error("a replay called Stripe")
	}
	close(release)
	<-firstDone
	srv1Closer.Close()
	store1.Close()
}

func tokenID(t *testing.T, h *harness, tok string) string {
	t.Helper()
	rec, err := h.store.TokenByHash(t.Context(), paywarden.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// A failed request is retried after a restart with the same Stripe key.
func TestRetryAfterRestart(t *testing.T) {
	fail := reply(500, nil, `{"error":{"type":"api_error","message":"boom"}}`)
	f := newFaultServer(t, fail, fail, fail, fail, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopePaymentsWrite)
	checkProblem(t, h.do("POST", "/v1/payments", tok, "retry-1", payBody), 502, paywarden.ESTRIPEUNAVAILABLE)
	h.restart()
	if r := h.do("POST", "/v1/payments", tok, "retry-1", payBody); r.status != 201 {
		t.Fatalf("got %d: %s", r.status, r.body)
	}
	keys := f.seen()
	if len(keys) != 5 {
		t.Fatalf("got %d attempts, want 5", len(keys))
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("got Stripe keys %q, want one key across the restart", keys)
		}
	}
}

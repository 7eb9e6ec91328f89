package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/paywarden/paywarden"
)

const stripeSecretMessage = "Internal Stripe detail that must not leak"

// TestStripeFaults checks the answer to each Stripe failure.
func TestStripeFaults(t *testing.T) {
	tests := []struct {
		name       string
		step       http.HandlerFunc
		status     int
		typ        string
		detail     string // substring
		retryAfter string
	}{
		{"card declined", reply(402, nil, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}`),
			402, paywarden.ECARDDECLINED, "Your card has insufficient funds.", ""},
		{"rate limited", reply(429, map[string]string{"Retry-After": "4"}, `{"error":{"type":"rate_limit","message":"`+stripeSecretMessage+`"}}`),
			503, paywarden.ERATELIMITED, "try again", "4"},
		{"key rejected", reply(401, nil, `{"error":{"type":"invalid_request_error","message":"`+stripeSecretMessage+`"}}`),
			502, paywarden.ESTRIPEMISCONFIGURED, "configuration", ""},
		{"permission missing", reply(403, nil, `{"error":{"type":"invalid_request_error","message":"`+stripeSecretMessage+` Having the 'rak_payment_intent_write' permission would allow this request to continue."}}`),
			502, paywarden.ESTRIPEMISCONFIGURED, "rak_payment_intent_write", ""},
		{"Stripe down", reply(500, nil, `{"error":{"type":"api_error","message":"`+stripeSecretMessage+`"}}`),
			502, paywarden.ESTRIPEUNAVAILABLE, "unavailable", ""},
		{"Stripe down, asks not to retry", reply(503, map[string]string{"Stripe-Should-Retry": "false", "Retry-After": "30"}, `{"error":{"type":"api_error","message":"`+stripeSecretMessage+`"}}`),
			503, paywarden.ESTRIPEUNAVAILABLE, "unavailable", "30"},
		{"invalid parameter", reply(400, nil, `{"error":{"type":"invalid_request_error","code":"amount_too_small","param":"amount","message":"`+stripeSecretMessage+`"}}`),
			400, paywarden.EINVALID, "amount", ""},
		{"no such payment", reply(404, nil, `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"intent","message":"`+stripeSecretMessage+`"}}`),
			404, paywarden.ENOTFOUND, "payment", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaultServer(t, tt.step)
			h := newHarness(t, f.URL, "")
			tok := h.token(paywarden.ScopePaymentsWrite)
			r := h.do("POST", "/v1/payments", tok, "fault", `{"amount":2000,"currency":"usd","payment_method":"pm_1","confirm":true}`)
			p := checkProblem(t, r, tt.status, tt.typ)
			if d, _ := p["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("got detail %q, want it to contain %q", d, tt.detail)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("got Retry-After %q, want %q", got, tt.retryAfter)
			}
			if tt.typ == paywarden.ECARDDECLINED && p["decline_code"] != "insufficient_funds" {
				t.Errorf("got decline_code %v", p["decline_code"])
			} else if tt.typ != paywarden.ECARDDECLINED && p["decline_code"] != nil {
				t.Errorf("decline_code on a %s", tt.typ)
			}
			if strings.Contains(string(r.body), stripeSecretMessage) {
				t.Errorf("answer holds Stripe's message: %s", r.body)
			}
			if strings.Contains(h.log.String(), stripeSecretMessage) {
				t.Errorf("log holds Stripe's message:\n%s", h.log)
			}
		})
	}
}

// An error paywarden does not know is "internal" with a fixed message.
func TestInternalError(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopeEventsRead)
	h.store.Close() // every store call now fails with a driver error
	r := h.do("GET", "/v1/events", tok, "", "")
	p := checkProblem(t, r, 500, paywarden.EINTERNAL)
	if p["detail"] != "Internal error." {
		t.Errorf("got detail %v, want Internal error.", p["detail"])
	}
	if !strings.Contains(h.log.String(), `"error_code":"internal"`) {
		t.Errorf("the access log does not record the internal error:\n%s", h.log)
	}
}

// TestAccessLog: one line per request with the route pattern, status, token
// name, request id and Stripe's request id; never a token, key or body.
func TestAccessLog(t *testing.T) {
	f := newFaultServer(t, reply(200, map[string]string{"Request-Id": "req_fromstripe"}, stripePayment))
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopePaymentsWrite)
	r := h.do("POST", "/v1/payments", tok, "log-1", `{"amount":2000,"currency":"usd","description":"secret order note"}`)
	if r.status != 201 {
		t.Fatalf("got %d: %s", r.status, r.body)
	}
	var line map[string]any
	for _, l := range strings.Split(h.log.String(), "\n") {
		if strings.Contains(l, `"msg":"api request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{
		"method": "POST", "route": "POST /v1/payments", "status": float64(201), "token": "svc-payments:write",
		"request_id": r.header.Get("X-Request-Id"), "stripe_request_id": "req_fromstripe",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s: got %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["latency"]; !ok {
		t.Error("access log lacks latency")
	}
	logs := h.log.String()
	for _, s := range []string{"secret order note", "pi_1_secret_x", "log-1"} {
		if strings.Contains(logs, s) {
			t.Errorf("log holds %q:\n%s", s, logs)
		}
	}
	// The caller's request id is kept when it is plain.
	req, _ := http.NewRequest("GET", h.srv.URL+"/v1/payments/pi_1", nil)
	req.Header.Set("X-Request-Id", "trace-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("got X-Request-Id %q, want trace-123", got)
	}
}

package stripeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// seen is one request the fault server received.
type seen struct {
	Method, Path   string
	IdempotencyKey string
	StripeVersion  string
	Authorization  string
	Form           url.Values
}

// faultServer answers request n (from 0) with steps[min(n, len-1)].
type faultServer struct {
	*httptest.Server
	mu    sync.Mutex
	seen  []seen
	steps []http.HandlerFunc
}

func newFaultServer(t *testing.T, steps ...http.HandlerFunc) *faultServer {
	t.Helper()
	f := &faultServer{steps: steps}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		n := len(f.seen)
		f.seen = append(f.seen, seen{
			Method: r.Method, Path: r.URL.Path,
			IdempotencyKey: r.Header.Get("Idempotency-Key"),
			StripeVersion:  r.Header.Get("Stripe-Version"),
			Authorization:  r.Header.Get("Authorization"),
			Form:           r.Form,
		})
		step := f.steps[min(n, len(f.steps)-1)]
		f.mu.Unlock()
		step(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *faultServer) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

func stripeError(status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Request-Id", fmt.Sprintf("req_fault%d", status))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func errBody(typ, code, param, msg string) string {
	return fmt.Sprintf(`{"error":{"type":%q,"code":%q,"param":%q,"message":%q}}`, typ, code, param, msg)
}

const okPayment = `{"id":"pi_ok","object":"payment_intent","amount":2000,"currency":"usd","status":"requires_payment_method","client_secret":"pi_ok_secret_x","created":1700000000,"metadata":{}}`

func ok(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Request-Id", "req_ok")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}
}

// reset closes the connection without an answer.
func reset(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

var secretMessage = "Internal detail: do not show"

// faultClient returns a client of the fault server with tiny backoffs,
// recorded sleeps and a captured log.
type faultClient struct {
	*Client
	log    *bytes.Buffer
	sleeps []time.Duration
	keys   map[string]paywarden.Secret
}

func newFaultClient(t *testing.T, base string) *faultClient {
	t.Helper()
	fc := &faultClient{log: &bytes.Buffer{}, keys: map[string]paywarden.Secret{
		paywarden.CapabilityDefault:  testKey("sk", "d"),
		paywarden.CapabilityPayments: testKey("rk", "p"),
		paywarden.CapabilityBilling:  testKey("rk", "b"),
		paywarden.CapabilityRead:     testKey("rk", "r"),
	}}
	c, err := New(Config{
		Keys:        fc.keys,
		APIBase:     base,
		RateLimit:   -1,
		Logger:      slog.New(slog.NewJSONHandler(fc.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseBackoff: time.Millisecond,
		MaxBackoff:  4 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		fc.sleeps = append(fc.sleeps, d)
		mu.Unlock()
		return ctx.Err()
	}
	fc.Client = c
	t.Cleanup(func() {
		// No key, no Stripe message, ever, in any log line.
		for _, k := range fc.keys {
			if strings.Contains(fc.log.String(), k.Reveal()) {
				t.Errorf("log holds a Stripe key:\n%s", fc.log)
			}
		}
		if strings.Contains(fc.log.String(), secretMessage) {
			t.Errorf("log holds a Stripe message:\n%s", fc.log)
		}
	})
	return fc
}

func TestRetryPolicy(t *testing.T) {
	serverError := stripeError(500, nil, errBody("api_error", "", "", secretMessage))
	tests := []struct {
		name     string
		steps    []http.HandlerFunc
		attempts int
		code     string // "" for success
	}{
		{"500 twice then success", []http.HandlerFunc{serverError, serverError, ok(okPayment)}, 3, ""},
		{"500 with a body that is not JSON", []http.HandlerFunc{stripeError(502, nil, "<html>"+secretMessage+"</html>"), ok(okPayment)}, 2, ""},
		{"409 then success", []http.HandlerFunc{stripeError(409, nil, errBody("idempotency_error", "idempotency_key_in_use", "", secretMessage)), ok(okPayment)}, 2, ""},
		{"429 then success", []http.HandlerFunc{stripeError(429, map[string]string{"Retry-After": "2"}, errBody("rate_limit", "rate_limit", "", secretMessage)), ok(okPayment)}, 2, ""},
		{"connection reset then success", []http.HandlerFunc{reset, ok(okPayment)}, 2, ""},
		{"Stripe-Should-Retry true on a 400", []http.HandlerFunc{stripeError(400, map[string]string{"Stripe-Should-Retry": "true"}, errBody("invalid_request_error", "lock_timeout", "", secretMessage)), ok(okPayment)}, 2, ""},
		{"Stripe-Should-Retry false on a 500", []http.HandlerFunc{stripeError(500, map[string]string{"Stripe-Should-Retry": "false"}, errBody("api_error", "", "", secretMessage)), ok(okPayment)}, 1, paywarden.ESTRIPEUNAVAILABLE},
		{"500 forever", []http.HandlerFunc{serverError}, 4, paywarden.ESTRIPEUNAVAILABLE},
		{"connection reset forever", []http.HandlerFunc{reset}, 4, paywarden.ESTRIPEUNAVAILABLE},
		{"429 forever", []http.HandlerFunc{stripeError(429, map[string]string{"Retry-After": "1"}, errBody("rate_limit", "rate_limit", "", secretMessage))}, 4, paywarden.ERATELIMITED},
		{"card declined", []http.HandlerFunc{stripeError(402, nil, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}`)}, 1, paywarden.ECARDDECLINED},
		{"401", []http.HandlerFunc{stripeError(401, nil, errBody("invalid_request_error", "", "", secretMessage))}, 1, paywarden.ESTRIPEMISCONFIGURED},
		{"400 invalid parameter", []http.HandlerFunc{stripeError(400, nil, errBody("invalid_request_error", "parameter_invalid_integer", "amount", secretMessage))}, 1, paywarden.EINVALID},
		{"404", []http.HandlerFunc{stripeError(404, nil, errBody("invalid_request_error", "resource_missing", "id", secretMessage))}, 1, paywarden.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaultServer(t, tt.steps...)
			c := newFaultClient(t, f.URL)
			p, _, err := c.CreatePaymentIntent(context.Background(), "pw-fixed-key", paywarden.PaymentParams{Amount: 2000, Currency: "usd"})
			if got := paywarden.ErrorCode(err); got != tt.code {
				t.Fatalf("got code %q (%v), want %q", got, err, tt.code)
			}
			if err == nil && p.ID != "pi_ok" {
				t.Errorf("got payment %q, want pi_ok", p.ID)
			}
			reqs := f.requests()
			if len(reqs) != tt.attempts {
				t.Errorf("got %d attempts, want %d", len(reqs), tt.attempts)
			}
			for i, r := range reqs {
				if r.IdempotencyKey != "pw-fixed-key" {
					t.Errorf("attempt %d: got Idempotency-Key %q, want pw-fixed-key", i, r.IdempotencyKey)
				}
				if r.StripeVersion != APIVersion {
					t.Errorf("attempt %d: got Stripe-Version %q, want %q", i, r.StripeVersion, APIVersion)
				}
			}
			if err != nil {
				msg := paywarden.ErrorMessage(err) + " " + err.Error()
				if strings.Contains(msg, secretMessage) {
					t.Errorf("error shows Stripe's message: %q", msg)
				}
				for _, k := range c.keys {
					if strings.Contains(msg, k.Reveal()) {
						t.Errorf("error shows a key: %q", msg)
					}
				}
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := newFaultServer(t, stripeError(429, map[string]string{"Retry-After": "3"}, errBody("rate_limit", "rate_limit", "", "")), ok(okPayment))
	c := newFaultClient(t, f.URL)
	if _, _, err := c.CreatePaymentIntent(context.Background(), "k", paywarden.PaymentParams{Amount: 100, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	if len(c.sleeps) != 1 || c.sleeps[0] < 3*time.Second {
		t.Errorf("got sleeps %v, want one of at least 3s", c.sleeps)
	}
}

func TestRateLimitedError(t *testing.T) {
	f := newFaultServer(t, stripeError(429, map[string]string{"Retry-After": "7"}, errBody("rate_limit", "rate_limit", "", "")))
	c := newFaultClient(t, f.URL)
	_, err := c.GetPaymentIntent(context.Background(), "pi_1")
	var pe *paywarden.Error
	if !errors.As(err, &pe) || pe.Code != paywarden.ERATELIMITED || pe.RetryAfter != 7*time.Second {
		t.Fatalf("got %#v, want rate_limited with RetryAfter 7s", err)
	}
	if pe.StripeRequestID != "req_fault429" {
		t.Errorf("got StripeRequestID %q, want req_fault429", pe.StripeRequestID)
	}
}

// A Retry-After longer than what is left of the caller's deadline ends the
// call at once instead of sleeping past the deadline.
func TestRetryWithinDeadline(t *testing.T) {
	f := newFaultServer(t, stripeError(429, map[string]string{"Retry-After": "30"}, errBody("rate_limit", "rate_limit", "", "")), ok(okPayment))
	c := newFaultClient(t, f.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.GetPaymentIntent(ctx, "pi_1")
	if paywarden.ErrorCode(err) != paywarden.ERATELIMITED {
		t.Fatalf("got %v, want rate_limited", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("got %d attempts, want 1", n)
	}
	if len(c.sleeps) != 0 {
		t.Errorf("got sleeps %v, want none", c.sleeps)
	}
}

func TestCardDeclined(t *testing.T) {
	f := newFaultServer(t, stripeError(402, nil, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","charge":"ch_1"}}`))
	c := newFaultClient(t, f.URL)
	_, _, err := c.CreatePaymentIntent(context.Background(), "k", paywarden.PaymentParams{Amount: 100, Currency: "usd", Confirm: true})
	var pe *paywarden.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want *paywarden.Error", err)
	}
	want := paywarden.Error{Code: paywarden.ECARDDECLINED, Message: "Your card has insufficient funds.", DeclineCode: "insufficient_funds", StripeRequestID: "req_fault402"}
	if pe.Code != want.Code || pe.Message != want.Message || pe.DeclineCode != want.DeclineCode || pe.StripeRequestID != want.StripeRequestID {
		t.Errorf("got %+v, want %+v", *pe, want)
	}
}

func TestUnauthorizedAlerts(t *testing.T) {
	f := newFaultServer(t, stripeError(401, nil, errBody("invalid_request_error", "", "", "Invalid API Key provided: "+testKey("rk", "p").Reveal())))
	c := newFaultClient(t, f.URL)
	_, _, err := c.CreateCustomer(context.Background(), "k", paywarden.CustomerParams{Email: "a@example.com"})
	if paywarden.ErrorCode(err) != paywarden.ESTRIPEMISCONFIGURED {
		t.Fatalf("got %v, want stripe_misconfigured", err)
	}
	if !strings.Contains(c.log.String(), `"alert":"stripe_key_rejected"`) || !strings.Contains(c.log.String(), `"capability":"billing"`) {
		t.Errorf("log has no alert naming the capability:\n%s", c.log)
	}
	if !strings.Contains(c.log.String(), c.keys[paywarden.CapabilityBilling].Fingerprint()) {
		t.Errorf("alert does not name the key's fingerprint:\n%s", c.log)
	}
}

func TestForbiddenNamesPermission(t *testing.T) {
	msg := "The provided key '" + testKey("rk", "p").Reveal() + "' does not have the required permissions for this endpoint on account 'acct_1'. Having the 'rak_payment_intent_write' permission would allow this request to continue."
	f := newFaultServer(t, stripeError(403, nil, errBody("invalid_request_error", "", "", msg)))
	c := newFaultClient(t, f.URL)
	_, _, err := c.CreatePaymentIntent(context.Background(), "k", paywarden.PaymentParams{Amount: 100, Currency: "usd"})
	if paywarden.ErrorCode(err) != paywarden.ESTRIPEMISCONFIGURED {
		t.Fatalf("got %v, want stripe_misconfigured", err)
	}
	got := paywarden.ErrorMessage(err)
	if !strings.Contains(got, "rak_payment_intent_write") || !strings.Contains(got, "payments") {
		t.Errorf("got message %q, want it to name the permission and capability", got)
	}
	if strings.Contains(got+err.Error(), "rk_") && strings.Contains(got+err.Error(), testKey("rk", "p").Reveal()) {
		t.Errorf("message names the key: %q", got)
	}
}

func TestInvalidNamesParam(t *testing.T) {
	f := newFaultServer(t, stripeError(400, nil, errBody("invalid_request_error", "resource_missing", "customer", "No such customer: 'cus_x'")))
	c := newFaultClient(t, f.URL)
	_, _, err := c.CreateSubscription(context.Background(), "k", paywarden.SubscriptionParams{Customer: "cus_x", Price: "price_1"})
	var pe *paywarden.Error
	if !errors.As(err, &pe) || pe.Code != paywarden.EINVALID || pe.Param != "customer" {
		t.Fatalf("got %#v, want invalid_request naming customer", err)
	}
	if strings.Contains(pe.Message, "cus_x") {
		t.Errorf("message repeats Stripe's: %q", pe.Message)
	}
}

// Each capability's calls use its own key.
func TestCapabilityKeys(t *testing.T) {
	f := newFaultServer(t, ok(okPayment))
	c := newFaultClient(t, f.URL)
	ctx := context.Background()
	c.GetPaymentIntent(ctx, "pi_1")
	c.GetCustomer(ctx, "cus_1")
	c.Fetch(ctx, paywarden.ObjectInvoice, "in_1")
	c.Verify(ctx, testKey("sk", "n"))
	want := []string{
		c.keys[paywarden.CapabilityPayments].Reveal(),
		c.keys[paywarden.CapabilityBilling].Reveal(),
		c.keys[paywarden.CapabilityRead].Reveal(),
		testKey("sk", "n").Reveal(),
	}
	reqs := f.requests()
	if len(reqs) != len(want) {
		t.Fatalf("got %d requests, want %d", len(reqs), len(want))
	}
	for i, r := range reqs {
		if r.Authorization != "Bearer "+want[i] {
			t.Errorf("request %d (%s): wrong key", i, r.Path)
		}
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name string
		step http.HandlerFunc
		code string
	}{
		{"works", ok(`{"object":"balance","available":[],"pending":[]}`), ""},
		{"rejected", stripeError(401, nil, errBody("invalid_request_error", "", "", secretMessage)), paywarden.ESTRIPEMISCONFIGURED},
		{"restricted key without the balance permission", stripeError(403, nil, errBody("invalid_request_error", "", "", secretMessage)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaultServer(t, tt.step)
			c := newFaultClient(t, f.URL)
			err := c.Verify(context.Background(), testKey("rk", "n"))
			if got := paywarden.ErrorCode(err); got != tt.code {
				t.Errorf("got %q (%v), want %q", got, err, tt.code)
			}
			if strings.Contains(c.log.String(), `"alert"`) {
				t.Errorf("Verify of a candidate key raised an alert about the configuration:\n%s", c.log)
			}
		})
	}
	c := newFaultClient(t, "http://127.0.0.1:1")
	if err := c.Verify(context.Background(), paywarden.NewSecret("pk_test_abc")); paywarden.ErrorCode(err) != paywarden.EINVALID {
		t.Errorf("Verify(publishable key): got %v, want invalid", err)
	}
}

func TestClientRateLimit(t *testing.T) {
	f := newFaultServer(t, ok(okPayment))
	c, err := New(Config{
		Keys:      map[string]paywarden.Secret{paywarden.CapabilityDefault: testKey("sk", "d")},
		APIBase:   f.URL,
		RateLimit: 0.5, // one token every 2s, burst 1
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPaymentIntent(context.Background(), "pi_1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.GetPaymentIntent(ctx, "pi_1")
	var pe *paywarden.Error
	if !errors.As(err, &pe) || pe.Code != paywarden.ERATELIMITED || pe.RetryAfter <= 0 {
		t.Fatalf("got %v, want rate_limited with RetryAfter", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("got %d requests to Stripe, want 1", n)
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	for name, keys := range map[string]map[string]paywarden.Secret{
		"no default":         {paywarden.CapabilityPayments: testKey("rk", "p")},
		"publishable":        {paywarden.CapabilityDefault: paywarden.NewSecret("pk_test_" + strings.Repeat("a", 24))},
		"unknown capability": {paywarden.CapabilityDefault: testKey("sk", "d"), "reports": testKey("rk", "p")},
	} {
		_, err := New(Config{Keys: keys})
		if paywarden.ErrorCode(err) != paywarden.EINVALID {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
		for _, k := range keys {
			if err != nil && strings.Contains(err.Error(), k.Reveal()) {
				t.Errorf("%s: error holds the key", name)
			}
		}
	}
}

func TestTrace(t *testing.T) {
	f := newFaultServer(t, stripeError(500, nil, errBody("api_error", "", "", "")), ok(okPayment))
	c := newFaultClient(t, f.URL)
	tr := &Trace{}
	if _, err := c.GetPaymentIntent(WithTrace(context.Background(), tr), "pi_1"); err != nil {
		t.Fatal(err)
	}
	if tr.Attempts() != 2 || tr.LastRequestID() != "req_ok" {
		t.Errorf("got %d attempts, last request id %q; want 2, req_ok", tr.Attempts(), tr.LastRequestID())
	}
}

// Fetch reads each mirrored type at its kind's path with the read key,
// asking for the kind's expansions: a subscription's discounts come with
// their coupons.
func TestFetchPaths(t *testing.T) {
	f := newFaultServer(t, ok(`{"id":"x_1","object":"thing"}`))
	c := newFaultClient(t, f.URL)
	for _, typ := range paywarden.MirroredTypes {
		if _, err := c.Fetch(context.Background(), typ, "x_1"); err != nil {
			t.Fatalf("Fetch(%s): %v", typ, err)
		}
	}
	reqs := f.requests()
	if len(reqs) != len(paywarden.MirroredTypes) {
		t.Fatalf("got %d requests, want %d", len(reqs), len(paywarden.MirroredTypes))
	}
	for i, typ := range paywarden.MirroredTypes {
		k, _ := paywarden.MirrorKindOf(typ)
		r := reqs[i]
		if r.Method != http.MethodGet || r.Path != k.Path+"/x_1" {
			t.Errorf("Fetch(%s): got %s %s, want GET %s/x_1", typ, r.Method, r.Path, k.Path)
		}
		if r.Authorization != "Bearer "+c.keys[paywarden.CapabilityRead].Reveal() {
			t.Errorf("Fetch(%s): not sent with the read key", typ)
		}
		var got []string
		for i := range len(r.Form) {
			got = append(got, r.Form[fmt.Sprintf("expand[%d]", i)]...)
		}
		if !slices.Equal(got, k.Expand) {
			t.Errorf("Fetch(%s): got expand %q, want %q", typ, got, k.Expand)
		}
	}
	if k, _ := paywarden.MirrorKindOf(paywarden.ObjectSubscription); !slices.Contains(k.Expand, "discounts.source.coupon") {
		t.Errorf("a subscription is fetched without its coupons: %q", k.Expand)
	}
}

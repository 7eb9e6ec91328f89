package stripeapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paywarden/paywarden"
)

// TestDoctorCallsStripeMock checks the shapes of doctor's calls against
// stripe-mock: the listing and account reads decode, and every probe gets
// past authentication to the parameter check (400), which is "allowed".
func TestDoctorCallsStripeMock(t *testing.T) {
	c := mockClient(t)
	ctx := context.Background()
	eps, err := c.ListWebhookEndpoints(ctx)
	if err != nil {
		t.Fatalf("ListWebhookEndpoints: %v", err)
	}
	if len(eps) == 0 || !strings.HasPrefix(eps[0].ID, "we_") || eps[0].URL == "" {
		t.Errorf("endpoints: got %+v, want at least one we_ with a URL", eps)
	}
	acct, err := c.Account(ctx)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if !strings.HasPrefix(acct.ID, "acct_") {
		t.Errorf("account id: got %q, want acct_...", acct.ID)
	}
	for _, p := range Probes {
		ok, err := c.ProbePermission(ctx, p)
		if err != nil || !ok {
			t.Errorf("probe %s %s: got %v, %v; want allowed", p.Method, p.Path, ok, err)
		}
	}
}

// TestProbePermissionDenied uses a fake Stripe for what stripe-mock cannot
// do: refuse a restricted key with 403 permission_error. A denied probe is
// a result, not an error, and nothing is created: the probe's parameter is
// one Stripe refuses.
func TestProbePermissionDenied(t *testing.T) {
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body) // stripe-go may send it chunked
		bodies = append(bodies, string(b)+r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/refunds" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"permission_error","message":"The provided key 'rk_test_***' does not have the required permissions. Having the 'rak_refund_write' permission would allow this request to continue."}}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"Received unknown parameter: paywarden_permission_probe"}}`)
	}))
	defer srv.Close()
	c, err := New(Config{
		Keys:       map[string]paywarden.Secret{paywarden.CapabilityDefault: testKey("sk", "d"), paywarden.CapabilityPayments: testKey("rk", "p")},
		APIBase:    srv.URL,
		RateLimit:  -1,
		MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		probe Probe
		want  bool
	}{{Probes[0], true}, {Probes[1], false}} {
		got, err := c.ProbePermission(ctx, tc.probe)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v, nil", tc.probe.Path, got, err, tc.want)
		}
	}
	for _, b := range bodies {
		if !strings.Contains(b, "paywarden_permission_probe=1") {
			t.Errorf("a probe without the invalid parameter: %q", b)
		}
	}
}

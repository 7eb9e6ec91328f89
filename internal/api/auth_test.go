package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
)

func TestAuthentication(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	good := h.token(paywarden.ScopePaymentsRead)
	revoked := h.token(paywarden.ScopePaymentsRead)
	toks, _ := h.store.ListTokens(context.Background())
	for _, tk := range toks {
		if tk.Name == "svc-payments:read" && string(tk.Hash) == string(paywarden.HashToken(revoked)) {
			if err := h.store.RevokeToken(context.Background(), tk.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name, header string
		status       int
	}{
		{"no header", "", 401},
		{"basic scheme", "Basic " + good, 401},
		{"no pwk_ prefix", "Bearer " + strings.TrimPrefix(good, "pwk_"), 401},
		{"unknown token", "Bearer pwk_" + strings.Repeat("A", 43), 401},
		{"one character off", "Bearer " + good[:len(good)-1] + flip(good[len(good)-1]), 401},
		{"revoked", "Bearer " + revoked, 401},
		{"good", "Bearer " + good, 200},
		{"lower-case scheme", "bearer " + good, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.srv.URL+"/v1/payments/pi_1", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		})
	}
	p := checkProblem(t, h.do("GET", "/v1/payments/pi_1", "", "", ""), 401, paywarden.EUNAUTHORIZED)
	if p["detail"] == "" {
		t.Error("no detail")
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestScopes checks every route against a token with every scope but the
// one it needs (403), and one with just that scope (not 401 or 403).
func TestScopes(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	routes := []struct{ method, path, scope string }{
		{"POST", "/v1/payments", paywarden.ScopePaymentsWrite},
		{"GET", "/v1/payments", paywarden.ScopePaymentsRead},
		{"GET", "/v1/payments/pi_1", paywarden.ScopePaymentsRead},
		{"POST", "/v1/payments/pi_1/capture", paywarden.ScopePaymentsWrite},
		{"POST", "/v1/payments/pi_1/cancel", paywarden.ScopePaymentsWrite},
		{"POST", "/v1/payments/pi_1/refunds", paywarden.ScopePaymentsWrite},
		{"POST", "/v1/customers", paywarden.ScopeSubscriptionsWrite},
		{"GET", "/v1/customers/cus_1", paywarden.ScopeSubscriptionsRead},
		{"POST", "/v1/subscriptions", paywarden.ScopeSubscriptionsWrite},
		{"GET", "/v1/subscriptions", paywarden.ScopeSubscriptionsRead},
		{"GET", "/v1/subscriptions/sub_1", paywarden.ScopeSubscriptionsRead},
		{"POST", "/v1/subscriptions/sub_1", paywarden.ScopeSubscriptionsWrite},
		{"DELETE", "/v1/subscriptions/sub_1", paywarden.ScopeSubscriptionsWrite},
		{"GET", "/v1/events", paywarden.ScopeEventsRead},
		{"GET", "/v1/events/evt_1", paywarden.ScopeEventsRead},
		{"POST", "/v1/events/evt_1/replay", paywarden.ScopeEventsWrite},
	}
	for i, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			var others []string
			for _, s := range paywarden.Scopes {
				if s != rt.scope && s != paywarden.ScopeAdmin {
					others = append(others, s)
				}
			}
			checkProblem(t, h.do(rt.method, rt.path, h.token(others...), fmt.Sprintf("scope-%d-a", i), "{}"), 403, paywarden.EFORBIDDEN)
			for _, tok := range []string{h.token(rt.scope), h.token(paywarden.ScopeAdmin)} {
				r := h.do(rt.method, rt.path, tok, fmt.Sprintf("scope-%d-%s", i, tok[4:10]), "{}")
				if r.status == 401 || r.status == 403 {
					t.Errorf("with scope %s: got %d: %s", rt.scope, r.status, r.body)
				}
			}
		})
	}
}

// A request records the token's use, at most once a minute.
func TestTokenTouched(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopePaymentsRead)
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	h.now = func() time.Time { return at }
	h.do("GET", "/v1/payments/pi_1", tok, "", "")
	got, err := h.store.TokenByHash(context.Background(), paywarden.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastUsedAt.Equal(at) {
		t.Errorf("got LastUsedAt %v, want %v", got.LastUsedAt, at)
	}
}

func TestParseScopes(t *testing.T) {
	if got := strings.Join(api.ParseScopes(" payments:read, ,admin"), "|"); got != "payments:read|admin" {
		t.Errorf("ParseScopes: got %q", got)
	}
}

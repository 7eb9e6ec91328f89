package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/stripe/stripe-go/v85"
)

// TestEventsReconcile recovers an event that was never delivered from a
// server that plays Stripe's Events API (stripe-mock has no such state).
func TestEventsReconcile(t *testing.T) {
	created := time.Now().Add(-time.Hour).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/events" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"object":"list","has_more":false,"url":"/v1/events","data":[`+
			`{"id":"evt_missed","object":"event","api_version":%q,"created":%d,"livemode":false,"type":"customer.created",`+
			`"data":{"object":{"id":"cus_R","object":"customer","created":%d}}}]}`, stripe.APIVersion, created, created)
	}))
	defer srv.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "pw.db")
	env := map[string]string{
		"PAYWARDEN_ENV":             "development",
		"PAYWARDEN_DATABASE_URL":    "sqlite:" + db,
		"PAYWARDEN_STRIPE_API_BASE": srv.URL,
		"STRIPE_SECRET_KEY":         "sk_" + "test_" + strings.Repeat("r", 24),
		"STRIPE_WEBHOOK_SECRET":     "whsec_" + strings.Repeat("r", 24),
	}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := report(&errb, run(ctx, []string{"migrate"}, getenv, nil, &out, &errb)); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errb.String())
	}
	out.Reset()
	err := run(ctx, []string{"events", "reconcile", "--since", "24h"}, getenv, nil, &out, &errb)
	if code := report(&errb, err); code != 0 {
		t.Fatalf("reconcile: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "1 were missing") {
		t.Errorf("output: got %q", out.String())
	}
	st, err := sqlite.Open(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, err := st.Event(ctx, "evt_missed")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != paywarden.EventPending {
		t.Errorf("status: got %s, want pending", ev.Status)
	}

	errb.Reset()
	err = run(ctx, []string{"events", "reconcile", "--since", "2020-01-01"}, getenv, nil, &out, &errb)
	if code := report(&errb, err); code != 0 || !strings.Contains(errb.String(), "30-day") {
		t.Errorf("an old --since: exit %d, stderr %q; want a retention warning", code, errb.String())
	}
	if code := report(&errb, run(ctx, []string{"events", "reconcile", "--since", "tomorrowish"}, getenv, nil, &out, &errb)); code != 2 {
		t.Errorf("a bad --since: exit %d, want 2", code)
	}
}

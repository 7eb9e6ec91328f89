package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paywarden/paywarden"
)

func TestKeysCommand(t *testing.T) {
	good := "sk_" + "test_" + strings.Repeat("g", 24)
	bad := "rk_" + "test_" + strings.Repeat("b", 24)
	// Stripe, with the state stripe-mock lacks: it knows one key and refuses the other.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _, _ := r.BasicAuth()
		if r.Header.Get("Authorization") == "Bearer "+good || user == good {
			w.Write([]byte(`{"object":"balance","available":[],"pending":[],"livemode":false}`))
			return
		}
		w.WriteHeader(401)
		w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: ` + bad + `"}}`))
	}))
	defer srv.Close()
	env := map[string]string{
		"PAYWARDEN_ENV":             "development",
		"PAYWARDEN_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "pw.db"),
		"PAYWARDEN_STRIPE_API_BASE": srv.URL,
		"STRIPE_SECRET_KEY":         good,
		"PAYWARDEN_READ_KEY":        bad,
		"STRIPE_WEBHOOK_SECRET":     "whsec_" + strings.Repeat("k", 24),
	}
	cmd := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"keys"}, args...), func(k string) string { return env[k] }, nil, &out, &errb)
		return out.String(), errb.String(), report(&errb, err)
	}

	// keys status never creates a database: without one it still lists
	// the keys, with first-seen dates unknown.
	out, stderr, code := cmd("status", "--format", "json")
	if code != 0 || !strings.Contains(stderr, "no database") || !strings.Contains(out, `"first_seen": null`) {
		t.Fatalf("status without a database: exit %d, stderr %q, stdout %q; want 0, a note that none exists and no first-seen date", code, stderr, out)
	}
	if _, err := os.Stat(strings.TrimPrefix(env["PAYWARDEN_DATABASE_URL"], "sqlite:")); err == nil {
		t.Fatal("keys status created a database")
	}
	var mig bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, nil, &mig, &mig); err != nil {
		t.Fatalf("migrate: %v: %s", err, mig.String())
	}
	out, stderr, code = cmd("status", "--format", "json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	var got []keyStatus
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("status JSON: %v in %s", err, out)
	}
	if len(got) != 2 || got[0].Capability != "default" || got[1].Capability != "read" {
		t.Fatalf("status: got %+v, want default and read", got)
	}
	if got[0].Fingerprint != paywarden.NewSecret(good).Fingerprint() || got[1].Kind != "restricted" || got[0].FirstSeen == nil {
		t.Errorf("status: got %+v", got)
	}
	if got[0].RotationDue {
		t.Error("a key seen today is reported due for rotation")
	}

	out, stderr, code = cmd("verify")
	if code != 1 {
		t.Errorf("verify with a refused key: exit %d, want 1", code)
	}
	if !strings.Contains(out, "default") || !strings.Contains(out, "FAILED") {
		t.Errorf("verify output: %q", out)
	}
	for _, secret := range []string{good, bad} {
		if strings.Contains(out+stderr, secret) {
			t.Errorf("keys verify printed a key")
		}
	}
	if _, _, code := cmd("frob"); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
}

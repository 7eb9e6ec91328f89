package vault

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paywarden/paywarden/internal/secrets"
)

// fakeVault is an httptest server that speaks the Vault HTTP API the
// official client uses: KV v2 reads as GET /v1/<mount>/data/<path>
// answering {"data":{"data":{...},"metadata":{...}}}, and AppRole login as
// POST (or PUT) /v1/auth/approle/login. There is no Vault here; the client is real.
type fakeVault struct {
	data    map[string]map[string]any // by "mount/path"
	token   atomic.Value              // the token reads need
	logins  atomic.Int32
	roleID  string
	secret  string
	expired atomic.Bool // the next read answers 403, as for an expired token
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	// Vault treats PUT and POST alike; the official client logs in with PUT.
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && r.URL.Path == "/v1/auth/approle/login" {
		var in struct {
			RoleID   string `json:"role_id"`
			SecretID string `json:"secret_id"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		if in.RoleID != f.roleID || in.SecretID != f.secret {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"errors":["invalid role or secret ID"]}`))
			return
		}
		f.logins.Add(1)
		tok := "hvs.approle-" + string(rune('0'+f.logins.Load()))
		f.token.Store(tok)
		json.NewEncoder(w).Encode(map[string]any{"auth": map[string]any{
			"client_token": tok, "accessor": "a", "policies": []string{"paywarden"}, "lease_duration": 3600, "renewable": true,
		}})
		return
	}
	if r.Header.Get("X-Vault-Token") != f.token.Load() || f.expired.CompareAndSwap(true, false) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":["permission denied"]}`))
		return
	}
	mount, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/"), "/data/")
	d, ok := f.data[mount+"/"+rest]
	if r.Method != http.MethodGet || !ok {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"errors":[]}`))
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{
		"data":     d,
		"metadata": map[string]any{"created_time": "2026-01-01T00:00:00Z", "deletion_time": "", "destroyed": false, "version": 3},
	}})
}

func newFake(t *testing.T) (*fakeVault, *httptest.Server) {
	key := "sk_" + "live_" + strings.Repeat("v", 24)
	f := &fakeVault{
		data: map[string]map[string]any{
			"secret/paywarden/stripe": {"secret_key": key, "n": 1.0},
			"kv/single":               {"only": "the-value"},
		},
		roleID: "role-1", secret: "secret-1",
	}
	f.token.Store("hvs.static")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func fetch(t *testing.T, c *Client, s string) (string, error) {
	t.Helper()
	ref, err := secrets.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return c.Fetch(context.Background(), ref)
}

func TestTokenAuth(t *testing.T) {
	_, srv := newFake(t)
	env := map[string]string{"VAULT_ADDR": srv.URL, "VAULT_TOKEN": "hvs.static"}
	c, err := New(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fetch(t, c, "vault:secret/paywarden/stripe#secret_key"); err != nil || !strings.HasPrefix(got, "sk_live_") {
		t.Errorf("got a value of length %d, %v", len(got), err)
	}
	if got, err := fetch(t, c, "vault:kv/single"); err != nil || got != "the-value" {
		t.Errorf("single field: got %q, %v", got, err)
	}
	for ref, want := range map[string]string{
		"vault:secret/paywarden/stripe":       "2 fields",
		"vault:secret/paywarden/stripe#n":     "not a string",
		"vault:secret/paywarden/stripe#other": `no field "other"`,
		"vault:secret/missing#x":              "",
	} {
		_, err := fetch(t, c, ref)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "sk_live_") {
			t.Errorf("%s: got %v, want an error containing %q", ref, err, want)
		}
	}
}

func TestAppRole(t *testing.T) {
	f, srv := newFake(t)
	env := map[string]string{"VAULT_ADDR": srv.URL, "VAULT_ROLE_ID": "role-1", "VAULT_SECRET_ID": "secret-1"}
	c, err := New(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(t, c, "vault:kv/single#only"); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(t, c, "vault:kv/single#only"); err != nil {
		t.Fatal(err)
	}
	if n := f.logins.Load(); n != 1 {
		t.Errorf("logged in %d times for two reads, want 1", n)
	}
	f.expired.Store(true)
	if got, err := fetch(t, c, "vault:kv/single#only"); err != nil || got != "the-value" {
		t.Errorf("after expiry: got %q, %v", got, err)
	}
	if n := f.logins.Load(); n != 2 {
		t.Errorf("logged in %d times, want a second login after a 403", n)
	}
}

func TestNewErrors(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"VAULT_ADDR": "http://127.0.0.1:1"},
	} {
		if _, err := New(context.Background(), func(k string) string { return env[k] }); err == nil {
			t.Errorf("New with %v succeeded, want an error", env)
		}
	}
}

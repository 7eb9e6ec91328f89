package doctor_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
	"github.com/paywarden/paywarden/internal/doctor"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/stripeapi/stripemock"
)

var (
	mockURL string
	mockErr error
)

func TestMain(m *testing.M) {
	os.Exit(stripemock.RunTests(m, func(url string, err error) { mockURL, mockErr = url, err }))
}

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// secret makes a key-shaped value at run time: no such literal sits in
// the source.
func secret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return prefix + string(b)
}

// world is a make-run-like setup: development, secrets in files of mode
// 600, a migrated SQLite database of mode 600.
type world struct {
	dir, db string
	env     map[string]string
}

func newWorld(t *testing.T, migrate bool) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{dir: dir, db: filepath.Join(dir, "paywarden.db")}
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	w.env = map[string]string{
		"PAYWARDEN_ENV":              "development",
		"PAYWARDEN_DATABASE_URL":     "sqlite:" + w.db,
		"PAYWARDEN_ADMIN_ADDR":       "127.0.0.1:9090",
		"STRIPE_SECRET_KEY_FILE":     write("stripe_secret_key", secret("sk_"+"test_")),
		"STRIPE_WEBHOOK_SECRET_FILE": write("stripe_webhook_secret", secret("whsec_")),
	}
	if err := os.WriteFile(w.db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	st := w.store(t)
	if migrate {
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) store(t *testing.T) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(context.Background(), w.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func (w *world) options(t *testing.T) doctor.Options {
	t.Helper()
	cfg, err := config.Load(nil, func(k string) string { return w.env[k] }, config.WithoutListener())
	if err != nil {
		t.Fatal(err)
	}
	return doctor.Options{Config: cfg, Store: w.store(t), APIVersion: stripe.APIVersion}
}

func byName(checks []doctor.Check, name string) doctor.Check {
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	return doctor.Check{}
}

// wantOnly fails unless name is the only failing check, with advice
// holding advice.
func wantOnly(t *testing.T, checks []doctor.Check, name, advice string) {
	t.Helper()
	for _, c := range checks {
		switch {
		case c.Name == name && c.Status != doctor.Fail:
			t.Errorf("%s: got %s (%s), want fail", name, c.Status, c.Detail)
		case c.Name == name && !strings.Contains(c.Advice, advice):
			t.Errorf("%s advice: got %q, want it to hold %q", name, c.Advice, advice)
		case c.Name != name && c.Status == doctor.Fail:
			t.Errorf("unexpected failure %s: %s", c.Name, c.Detail)
		}
	}
	if byName(checks, name).Name == "" {
		t.Errorf("no check %q in %+v", name, checks)
	}
}

func TestHealthyPasses(t *testing.T) {
	w := newWorld(t, true)
	checks := doctor.Run(context.Background(), w.options(t))
	if doctor.Failed(checks) {
		t.Fatalf("a healthy setup fails: %+v", checks)
	}
	for _, c := range checks {
		if c.Status != doctor.OK {
			t.Errorf("%s: got %s (%s), want ok", c.Name, c.Status, c.Detail)
		}
	}
}

func TestWorldReadableSecretFile(t *testing.T) {
	w := newWorld(t, true)
	if err := os.Chmod(w.env["STRIPE_WEBHOOK_SECRET_FILE"], 0o644); err != nil {
		t.Fatal(err)
	}
	wantOnly(t, doctor.Run(context.Background(), w.options(t)), "secret files", "chmod 600 "+w.env["STRIPE_WEBHOOK_SECRET_FILE"])
}

func TestPendingMigrations(t *testing.T) {
	w := newWorld(t, false)
	o := w.options(t)
	// A database without its tables has nothing to count either.
	checks := doctor.Run(context.Background(), o)
	if c := byName(checks, "migrations"); c.Status != doctor.Fail || !strings.Contains(c.Advice, "paywarden migrate") {
		t.Errorf("migrations: got %+v, want fail with 'paywarden migrate'", c)
	}
}

func TestDeadEvent(t *testing.T) {
	w := newWorld(t, true)
	now := time.Now().UTC()
	_, err := w.store(t).InsertEvents(context.Background(), []*paywarden.Event{{
		ID: "evt_dead1", Type: "customer.updated", Created: now, APIVersion: stripe.APIVersion,
		ObjectID: "cus_1", ObjectType: "customer", Endpoint: "default", Payload: []byte(`{}`),
		Status: paywarden.EventDead, ReceivedAt: now, NextAttemptAt: now,
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantOnly(t, doctor.Run(context.Background(), w.options(t)), "events", "events replay --status dead")
}

func TestKeyAge(t *testing.T) {
	w := newWorld(t, true)
	o := w.options(t)
	k, _ := o.Config.Secrets.Key(paywarden.CapabilityDefault)
	old := time.Now().Add(-100 * 24 * time.Hour)
	if _, err := w.store(t).RecordKey(context.Background(), &paywarden.KeyRecord{Fingerprint: k.Value.Fingerprint(),
		Capability: paywarden.CapabilityDefault, Source: k.Source, Kind: k.Info.Kind, FirstSeen: old, LastSeen: old}); err != nil {
		t.Fatal(err)
	}
	if c := byName(doctor.Run(context.Background(), o), "key age"); c.Status != doctor.Warn || !strings.Contains(c.Detail, "default") {
		t.Errorf("key age: got %+v, want warn naming default", c)
	}
	o.KeyMaxAge = 200 * 24 * time.Hour
	if c := byName(doctor.Run(context.Background(), o), "key age"); c.Status != doctor.OK {
		t.Errorf("key age with a 200-day limit: got %+v, want ok", c)
	}
}

func TestPasswordFlagAndAdminAddr(t *testing.T) {
	w := newWorld(t, true)
	fs := newFlagSet()
	f := config.DefineFlags(fs, config.VarDatabaseURL)
	if err := fs.Parse([]string{"--database-url", "postgres://pw:hunter2@db.internal/pw"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range w.env {
		env[k] = v
	}
	env["PAYWARDEN_ADMIN_ADDR"] = "0.0.0.0:9090"
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, config.WithFlags(f), config.WithoutListener())
	if err != nil {
		t.Fatal(err)
	}
	checks := doctor.Run(context.Background(), doctor.Options{Config: cfg, Store: w.store(t)})
	if c := byName(checks, "database password"); c.Status != doctor.Fail || !strings.Contains(c.Advice, "PAYWARDEN_DATABASE_URL_FILE") {
		t.Errorf("database password: got %+v", c)
	}
	if c := byName(checks, "admin listener"); c.Status != doctor.Warn {
		t.Errorf("admin listener on 0.0.0.0: got %+v, want warn", c)
	}
	for _, c := range checks {
		if strings.Contains(c.Detail+c.Advice, "hunter2") {
			t.Errorf("%s prints the password", c.Name)
		}
	}
}

func client(t *testing.T, base string, keys map[string]paywarden.Secret) *stripeapi.Client {
	t.Helper()
	c, err := stripeapi.New(stripeapi.Config{Keys: keys, APIBase: base, RateLimit: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOnlineStripeMock runs the online checks against stripe-mock, which
// accepts any test key and answers every list with its fixtures: each
// call must be well formed and decode.
func TestOnlineStripeMock(t *testing.T) {
	if mockURL == "" {
		t.Skipf("stripe-mock could not be started: %v", mockErr)
	}
	w := newWorld(t, true)
	w.env["PAYWARDEN_READ_KEY"] = secret("rk_" + "test_")
	o := w.options(t)
	keys := map[string]paywarden.Secret{}
	for c, k := range o.Config.Secrets.Keys() {
		keys[c] = k.Value
	}
	o.Stripe = client(t, mockURL, keys)
	checks := doctor.Run(context.Background(), o)
	for _, name := range []string{"key default", "key read", "permissions read", "account"} {
		if c := byName(checks, name); c.Status != doctor.OK {
			t.Errorf("%s: got %+v, want ok", name, c)
		}
	}
	found := false
	for _, c := range checks {
		if strings.HasPrefix(c.Name, "webhook endpoint we_") {
			found = true
		}
	}
	if !found {
		t.Errorf("no webhook endpoint reviewed: %+v", checks)
	}
}

// fakeStripe has what stripe-mock cannot: one endpoint on another API
// version, a restricted key refused a permission with 403, a live account.
func fakeStripe(t *testing.T, endpointVersion string, denyRefunds bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v1/balance":
			io.WriteString(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
		case r.URL.Path == "/v1/account":
			io.WriteString(w, `{"id":"acct_1","object":"account","charges_enabled":true,"payouts_enabled":true}`)
		case r.URL.Path == "/v1/webhook_endpoints" && r.URL.Query().Get("paywarden_permission_probe") == "":
			json.NewEncoder(w).Encode(map[string]any{"object": "list", "has_more": false, "data": []any{
				map[string]any{"id": "we_old", "url": "https://pay.example.com/webhooks/stripe", "status": "enabled",
					"api_version": endpointVersion, "enabled_events": []string{"*"}},
			}})
		case r.URL.Path == "/v1/refunds" && denyRefunds:
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"permission_error","message":"Having the 'rak_refund_write' permission would allow this request to continue."}}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"Received unknown parameter"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOnlineEndpointOnAnotherVersion(t *testing.T) {
	w := newWorld(t, true)
	o := w.options(t)
	k, _ := o.Config.Secrets.Key(paywarden.CapabilityDefault)
	o.Stripe = client(t, fakeStripe(t, "2020-08-27", false).URL, map[string]paywarden.Secret{paywarden.CapabilityDefault: k.Value})
	wantOnly(t, doctor.Run(context.Background(), o), "webhook endpoint we_old", "second endpoint pinned to "+stripe.APIVersion)

	o.Stripe = client(t, fakeStripe(t, stripe.APIVersion, false).URL, map[string]paywarden.Secret{paywarden.CapabilityDefault: k.Value})
	if checks := doctor.Run(context.Background(), o); doctor.Failed(checks) {
		t.Errorf("an endpoint on the pinned version fails: %+v", checks)
	}
}

func TestOnlineRestrictedKeyLacksPermission(t *testing.T) {
	w := newWorld(t, true)
	w.env["PAYWARDEN_PAYMENTS_KEY"] = secret("rk_" + "test_")
	o := w.options(t)
	keys := map[string]paywarden.Secret{}
	for c, k := range o.Config.Secrets.Keys() {
		keys[c] = k.Value
	}
	o.Stripe = client(t, fakeStripe(t, stripe.APIVersion, true).URL, keys)
	wantOnly(t, doctor.Run(context.Background(), o), "permissions payments", "Refunds: write")
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

package secrets

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/prometheus/client_golang/prometheus"
)

// Keys are built at run time: no tracked file holds a real-looking key.
func liveKey(c string) string { return "sk_" + "live_" + strings.Repeat(c, 24) }
func testKey(c string) string { return "sk_" + "test_" + strings.Repeat(c, 24) }
func whsec(c string) string   { return "whsec_" + strings.Repeat(c, 24) }

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// writes makes every writeSecret set a new mtime.
var writes int

func writeSecret(t *testing.T, path, v string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Make sure the change is seen even on file systems with coarse mtimes.
	writes++
	next := t0.Add(time.Duration(writes) * time.Hour)
	if err := os.Chtimes(path, next, next); err != nil {
		t.Fatal(err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s")
	for _, tt := range []struct{ content, want string }{
		{"value\n", "value"}, {"value\r\n", "value"}, {"value\n\n", "value\n"}, {"value ", "value "},
	} {
		os.WriteFile(p, []byte(tt.content), 0o600)
		got, err := ReadFile(p, true)
		if err != nil || got != tt.want {
			t.Errorf("ReadFile(%q) = %q, %v, want %q", tt.content, got, err, tt.want)
		}
	}
	os.WriteFile(p, []byte("\n"), 0o600)
	if _, err := ReadFile(p, false); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: got %v, want an error saying empty", err)
	}
	secret := liveKey("F")
	os.WriteFile(p, []byte(secret), 0o644)
	os.Chmod(p, 0o644)
	_, err := ReadFile(p, true)
	if !errors.Is(err, ErrInsecureFile) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), secret) {
		t.Errorf("group-readable file in production: got %v, want ErrInsecureFile naming the file and chmod 600", err)
	}
	if _, err := ReadFile(p, false); err != nil {
		t.Errorf("group-readable file outside production: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	listFile := filepath.Join(dir, "hooks")
	writeSecret(t, listFile, whsec("n")+","+whsec("o")+";not_after=2026-07-01T00:00:00Z")
	env := map[string]string{"OTHER": liveKey("p")}
	r := &Resolver{Getenv: func(k string) string { return env[k] }, Production: true}
	specs := []Spec{
		{Name: "STRIPE_SECRET_KEY", Kind: KindStripeKey, Capability: paywarden.CapabilityDefault, Configured: paywarden.NewSecret(liveKey("d"))},
		{Name: "PAYWARDEN_PAYMENTS_KEY", Kind: KindStripeKey, Capability: paywarden.CapabilityPayments, Configured: paywarden.NewSecret("env:OTHER")},
		{Name: "STRIPE_WEBHOOK_SECRET", Kind: KindWebhook, Configured: paywarden.NewSecret(whsec("a") + ",file:" + listFile + ";not_after=2026-08-01T00:00:00Z")},
	}
	s, err := Load(context.Background(), r, specs, Policy{Production: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Key(paywarden.CapabilityPayments); k.Value.Reveal() != liveKey("p") || k.Source != "env:OTHER" {
		t.Errorf("payments key: got source %s", k.Source)
	}
	if k, _ := s.Key(paywarden.CapabilityBilling); k.Value.Reveal() != liveKey("d") {
		t.Error("billing key does not fall back to the default key")
	}
	got := s.WebhookSecrets("")
	if len(got) != 3 || !got[1].NotAfter.Equal(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)) || !got[2].NotAfter.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("webhook secrets: got %+v", got)
	}
	if n := len(s.ActiveSecrets("", time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC))); n != 2 {
		t.Errorf("active in mid July: got %d, want 2", n)
	}
	if n := len(s.ActiveSecrets("connect", t0)); n != 0 {
		t.Errorf("unknown endpoint: got %d secrets, want 0", n)
	}
}

func TestLoadRefusals(t *testing.T) {
	key := func(name, cap, v string) Spec {
		return Spec{Name: name, Kind: KindStripeKey, Capability: cap, Configured: paywarden.NewSecret(v)}
	}
	hook := func(v string) Spec {
		return Spec{Name: "STRIPE_WEBHOOK_SECRET", Kind: KindWebhook, Configured: paywarden.NewSecret(v)}
	}
	bad := "sk_" + "live_" + "short"
	for _, tt := range []struct {
		name   string
		specs  []Spec
		policy Policy
		want   string
	}{
		{"malformed key", []Spec{key("STRIPE_SECRET_KEY", "default", bad)}, Policy{Production: true}, "STRIPE_SECRET_KEY is malformed"},
		{"publishable", []Spec{key("STRIPE_SECRET_KEY", "default", "pk_"+"live_"+strings.Repeat("x", 24))}, Policy{Production: true}, "STRIPE_SECRET_KEY is a publishable key"},
		{"test in production", []Spec{key("STRIPE_SECRET_KEY", "default", testKey("t"))}, Policy{Production: true}, "STRIPE_SECRET_KEY is a test-mode key"},
		{"live in development", []Spec{key("STRIPE_SECRET_KEY", "default", liveKey("l"))}, Policy{}, "STRIPE_SECRET_KEY is a live-mode key"},
		{"mixed capabilities", []Spec{key("STRIPE_SECRET_KEY", "default", liveKey("l")), key("PAYWARDEN_READ_KEY", "read", testKey("t"))},
			Policy{Production: true, AllowMixedMode: true}, "live in STRIPE_SECRET_KEY, test in PAYWARDEN_READ_KEY"},
		{"missing env ref", []Spec{key("STRIPE_SECRET_KEY", "default", "env:NOPE")}, Policy{}, "STRIPE_SECRET_KEY could not be read: env:NOPE"},
		{"malformed webhook", []Spec{hook(whsec("a") + ",whsec_" + "x!")}, Policy{}, "STRIPE_WEBHOOK_SECRET entry 2 is malformed"},
		{"expired webhook", []Spec{hook(whsec("a") + ";not_after=2020-01-01T00:00:00Z")}, Policy{}, "STRIPE_WEBHOOK_SECRET has no active secret"},
		{"awssm unavailable", []Spec{key("STRIPE_SECRET_KEY", "default", "awssm:x")}, Policy{}, "not available"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), &Resolver{Getenv: func(string) string { return "" }}, tt.specs, tt.policy, t0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			for _, sp := range tt.specs {
				if v := sp.Configured.Reveal(); len(v) > 12 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q holds the value", err)
				}
			}
		})
	}
	// With AllowMixedMode a test key in production is fine.
	if _, err := Load(context.Background(), &Resolver{}, []Spec{key("STRIPE_SECRET_KEY", "default", testKey("t"))}, Policy{Production: true, AllowMixedMode: true}, t0); err != nil {
		t.Errorf("mixed mode allowed: %v", err)
	}
}

type fixture struct {
	dir, keyFile, hookFile string
	m                      *Manager
	reg                    *prometheus.Registry
	logs                   *bytes.Buffer
	verifyErr              error
	verified               []string
	snaps                  []*Snapshot
	redacted               []string
}

func (f *fixture) Add(v ...string) { f.redacted = append(f.redacted, v...) }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	f.keyFile, f.hookFile = filepath.Join(f.dir, "key"), filepath.Join(f.dir, "hook")
	writeSecret(t, f.keyFile, liveKey("a"))
	writeSecret(t, f.hookFile, whsec("a"))
	specs := []Spec{
		{Name: "STRIPE_SECRET_KEY", Kind: KindStripeKey, Capability: paywarden.CapabilityDefault, Configured: paywarden.NewSecret("file:" + f.keyFile), Origin: "STRIPE_SECRET_KEY_FILE"},
		{Name: "STRIPE_WEBHOOK_SECRET", Kind: KindWebhook, Configured: paywarden.NewSecret("file:" + f.hookFile)},
	}
	r := &Resolver{Production: true}
	initial, err := Load(context.Background(), r, specs, Policy{Production: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	f.m, err = NewManager(initial, Options{
		Resolver: r, Specs: specs, Policy: Policy{Production: true},
		Verify: func(_ context.Context, capability string, key paywarden.Secret) error {
			f.verified = append(f.verified, capability+"="+key.Reveal())
			return f.verifyErr
		},
		Logger:     slog.New(slog.NewTextHandler(f.logs, nil)),
		Registerer: f.reg,
		Redactor:   f,
		Now:        func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.m.Subscribe(func(s *Snapshot) { f.snaps = append(f.snaps, s) })
	return f
}

func (f *fixture) count(name, secret string) float64 {
	c, err := f.reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range c {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == secret {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestManagerReloadsChangedFile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if changed, err := f.m.CheckFiles(ctx); changed || err != nil {
		t.Fatalf("CheckFiles on unchanged files = %v, %v", changed, err)
	}
	writeSecret(t, f.keyFile, liveKey("b"))
	writeSecret(t, f.hookFile, whsec("b")+","+whsec("a"))
	if changed, err := f.m.CheckFiles(ctx); !changed || err != nil {
		t.Fatalf("CheckFiles after a change = %v, %v, want true, nil", changed, err)
	}
	if k, _ := f.m.Key(paywarden.CapabilityPayments); k.Value.Reveal() != liveKey("b") {
		t.Error("the new key is not in use")
	}
	if got := f.m.ActiveSecrets("", t0); len(got) != 2 || got[0].Reveal() != whsec("b") {
		t.Errorf("got %d webhook secrets, want the new and the old", len(got))
	}
	if len(f.verified) != 1 || f.verified[0] != "default="+liveKey("b") {
		t.Errorf("verified %d keys, want the new default key once", len(f.verified))
	}
	if len(f.snaps) != 1 {
		t.Errorf("subscriber called %d times, want 1", len(f.snaps))
	}
	if !strings.Contains(strings.Join(f.redacted, " "), liveKey("b")) || !strings.Contains(strings.Join(f.redacted, " "), whsec("b")) {
		t.Error("the redactor did not learn the new values")
	}
	if got := f.count("paywarden_secret_reloads_total", "STRIPE_SECRET_KEY"); got != 1 {
		t.Errorf("reloads of STRIPE_SECRET_KEY = %v, want 1", got)
	}
	if changed, _ := f.m.CheckFiles(ctx); changed {
		t.Error("CheckFiles reloads again without a change")
	}
}

func TestManagerKeepsOldKeyWhenVerifyFails(t *testing.T) {
	f := newFixture(t)
	f.verifyErr = errors.New("stripe said 401")
	writeSecret(t, f.keyFile, liveKey("c"))
	err := f.m.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "STRIPE_SECRET_KEY") || strings.Contains(err.Error(), liveKey("c")) {
		t.Fatalf("got %v, want an error naming STRIPE_SECRET_KEY without its value", err)
	}
	if k, _ := f.m.Key(paywarden.CapabilityDefault); k.Value.Reveal() != liveKey("a") {
		t.Error("the old key was replaced")
	}
	if got := f.count("paywarden_secret_reload_failures_total", "STRIPE_SECRET_KEY"); got != 1 {
		t.Errorf("failures = %v, want 1", got)
	}
	if !strings.Contains(f.logs.String(), "secret reload failed") || strings.Contains(f.logs.String(), liveKey("c")) {
		t.Errorf("log %q: want the failure logged without the key", f.logs.String())
	}
	if len(f.snaps) != 0 {
		t.Errorf("subscriber called %d times, want 0", len(f.snaps))
	}
}

func TestManagerKeepsOldOnBadValues(t *testing.T) {
	for name, write := range map[string]func(f *fixture){
		"test key in production": func(f *fixture) { writeSecret(t, f.keyFile, testKey("t")) },
		"malformed key":          func(f *fixture) { writeSecret(t, f.keyFile, "sk_"+"live_"+"x") },
		"empty file":             func(f *fixture) { os.WriteFile(f.keyFile, nil, 0o600) },
		"file removed":           func(f *fixture) { os.Remove(f.keyFile) },
		"insecure file":          func(f *fixture) { writeSecret(t, f.keyFile, liveKey("z")); os.Chmod(f.keyFile, 0o640) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			write(f)
			changed, err := f.m.CheckFiles(context.Background())
			if !changed || err == nil {
				t.Fatalf("CheckFiles = %v, %v, want a failed reload", changed, err)
			}
			if k, _ := f.m.Key(paywarden.CapabilityDefault); k.Value.Reveal() != liveKey("a") {
				t.Error("the old key was replaced")
			}
			if len(f.verified) != 0 {
				t.Errorf("Stripe was asked about a key that was refused: %d calls", len(f.verified))
			}
			if got := f.count("paywarden_secret_reload_failures_total", "STRIPE_SECRET_KEY"); got != 1 {
				t.Errorf("failures = %v, want 1", got)
			}
			if got := f.count("paywarden_secret_reloads_total", "STRIPE_WEBHOOK_SECRET"); got != 1 {
				t.Errorf("webhook secret reloads = %v, want 1: one bad secret must not stop the others", got)
			}
		})
	}
}

func TestManagerRunReloadsOnSignal(t *testing.T) {
	f := newFixture(t)
	done := make(chan *Snapshot, 1)
	f.m.Subscribe(func(s *Snapshot) { done <- s })
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	ran := make(chan error)
	go func() { ran <- f.m.Run(ctx, hup) }()
	writeSecret(t, f.hookFile, whsec("h"))
	hup <- nil
	s := <-done
	if got := s.ActiveSecrets("", t0); len(got) != 1 || got[0].Reveal() != whsec("h") {
		t.Error("SIGHUP did not load the new webhook secret")
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestMetricsShareRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if a.failures != b.failures {
		t.Error("a second Manager on one registry got counters of its own, want them shared")
	}
}

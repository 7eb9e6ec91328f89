package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/secrets"
	"github.com/stripe/stripe-go/v85"
)

// Keys are built at run time: no tracked file holds a real-looking key.
func liveKey(c string) string { return "sk_" + "live_" + strings.Repeat(c, 24) }
func testKey(c string) string { return "sk_" + "test_" + strings.Repeat(c, 24) }
func whsec(c string) string   { return "whsec_" + strings.Repeat(c, 24) }

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// prodEnv is the least a production serve needs.
func prodEnv() map[string]string {
	return map[string]string{
		VarStripeSecretKey:       liveKey("a"),
		VarWebhookSecret:         whsec("a"),
		VarTLSTerminatedUpstream: "true",
	}
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(nil, getenv(prodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"Env", cfg.Env, EnvProduction},
		{"DatabaseURL", cfg.DatabaseURL.Reveal(), "sqlite:paywarden.db"},
		{"Addr", cfg.Addr, ":8443"},
		{"AdminAddr", cfg.AdminAddr, "127.0.0.1:9090"},
		{"WebhookTolerance", cfg.WebhookTolerance, 300 * time.Second},
		{"SecretsRefresh", cfg.SecretsRefresh, 5 * time.Minute},
		{"WebhookMaxBody", cfg.WebhookMaxBody, int64(512 << 10)},
		{"StripeRateLimit", cfg.StripeRateLimit, 80.0},
		{"StripeAPIVersion", cfg.StripeAPIVersion, stripe.APIVersion},
		{"LogFormat", cfg.LogFormat, "json"},
		{"PaymentsKey falls back", cfg.PaymentsKey.Reveal(), liveKey("a")},
		{"ReadKey falls back", cfg.ReadKey.Reveal(), liveKey("a")},
		{"webhook secrets", len(cfg.WebhookSecrets[""]), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	// A Config prints without its secrets.
	if s := fmt.Sprintf("%+v %#v", cfg, cfg); strings.Contains(s, liveKey("a")) || strings.Contains(s, whsec("a")) {
		t.Error("printing the Config shows a secret")
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "paywarden.toml", `
addr = ":1000"
admin_addr = "127.0.0.1:1001"
webhook_tolerance = "100s"
database_url = "sqlite:file.db"
stripe_rate_limit = 5
`, 0o600)
	env := prodEnv()
	env[VarAdminAddr] = "127.0.0.1:2001"
	env[VarWebhookTolerance] = "200"
	cfg, err := Load([]string{"--config", file, "--webhook-tolerance", "400s", "rest"}, getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":1000" || cfg.AdminAddr != "127.0.0.1:2001" || cfg.WebhookTolerance != 400*time.Second ||
		cfg.DatabaseURL.Reveal() != "sqlite:file.db" || cfg.StripeRateLimit != 5 {
		t.Errorf("got addr %s, admin %s, tolerance %s, db from file %v, rate %v; want file < env < flag",
			cfg.Addr, cfg.AdminAddr, cfg.WebhookTolerance, cfg.DatabaseURL.Reveal() == "sqlite:file.db", cfg.StripeRateLimit)
	}
	if len(cfg.Args) != 1 || cfg.Args[0] != "rest" {
		t.Errorf("Args = %q, want [rest]", cfg.Args)
	}
}

func TestWithFlagSet(t *testing.T) {
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	name := fs.String("name", "", "")
	cfg, err := Load([]string{"--name", "ci", "--addr", ":9"}, getenv(nil), WithFlagSet(fs), WithoutSecrets())
	if err != nil || *name != "ci" || cfg.Addr != ":9" {
		t.Errorf("got %v, name %q, addr %q", err, *name, cfg.Addr)
	}
	_, err = Load([]string{"-h"}, getenv(nil), WithoutSecrets())
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: got %v, want flag.ErrHelp", err)
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "key", liveKey("f")+"\n", 0o600)
	hookFile := writeFile(t, dir, "hook", whsec("f")+"\n", 0o600)
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"literal", map[string]string{VarStripeSecretKey: liveKey("l")}, liveKey("l")},
		{"_FILE", map[string]string{VarStripeSecretKey + "_FILE": keyFile}, liveKey("f")},
		{"file: reference", map[string]string{VarStripeSecretKey: "file:" + keyFile}, liveKey("f")},
		{"env: reference", map[string]string{VarStripeSecretKey: "env:MY_KEY", "MY_KEY": liveKey("e")}, liveKey("e")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.env[VarWebhookSecret+"_FILE"] = hookFile
			tt.env[VarTLSTerminatedUpstream] = "true"
			cfg, err := Load(nil, getenv(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.StripeSecretKey.Reveal() != tt.want || cfg.WebhookSecrets[""][0].Value.Reveal() != whsec("f") {
				t.Error("wrong secret loaded")
			}
		})
	}
}

func TestCapabilityKeysAndEndpoints(t *testing.T) {
	env := prodEnv()
	env[VarPaymentsKey] = "rk_" + "live_" + strings.Repeat("p", 24)
	env[VarWebhookSecret] = whsec("n") + "," + whsec("o") + ";not_after=2026-07-01T00:00:00Z"
	env["STRIPE_WEBHOOK_SECRET_CONNECT"] = whsec("c")
	env["STRIPE_WEBHOOK_SECRET_BILLING"] = whsec("b")
	env[VarWebhookEndpoints] = "billing"
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cfg, err := Load(nil, getenv(env), WithEnviron([]string{"STRIPE_WEBHOOK_SECRET_CONNECT=x", "PATH=/bin"}), WithNow(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg.PaymentsKey.Reveal(), "rk_") || cfg.BillingKey.Reveal() != liveKey("a") {
		t.Error("capability keys wrong")
	}
	if len(cfg.WebhookSecrets) != 3 || cfg.WebhookSecrets["connect"][0].Value.Reveal() != whsec("c") || len(cfg.WebhookSecrets["billing"]) != 1 {
		t.Errorf("endpoints: got %d", len(cfg.WebhookSecrets))
	}
	if got := cfg.Secrets.ActiveSecrets("", now.AddDate(0, 2, 0)); len(got) != 1 {
		t.Errorf("after not_after: got %d active, want 1", len(got))
	}
}

// TestRefusals checks every refusal: the message names the variable, file
// or flag, and never holds the secret value.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	key := liveKey("s")
	insecure := writeFile(t, dir, "insecure", key, 0o644)
	empty := writeFile(t, dir, "empty", "\n", 0o600)
	tomlKey := writeFile(t, dir, "withkey.toml", "addr = \":1\"\n# old key: "+key+"\n", 0o600)
	tomlHook := writeFile(t, dir, "withhook.toml", "\n\nstripe_webhook_secret = \""+whsec("z")+"\"\n", 0o600)
	tomlLiteral := writeFile(t, dir, "literal.toml", "stripe_secret_key = \"not-a-reference\"\n", 0o600)
	tomlUnknown := writeFile(t, dir, "unknown.toml", "adr = \":1\"\n", 0o600)
	with := func(kv ...string) map[string]string {
		env := prodEnv()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(env, kv[i])
			} else {
				env[kv[i]] = kv[i+1]
			}
		}
		return env
	}
	for _, tt := range []struct {
		name   string
		args   []string
		env    map[string]string
		want   []string
		hidden []string
	}{
		{"no key", nil, with(VarStripeSecretKey, ""), []string{"STRIPE_SECRET_KEY is not set"}, nil},
		{"no webhook secret", nil, with(VarWebhookSecret, ""), []string{"STRIPE_WEBHOOK_SECRET is not set"}, nil},
		{"malformed key", nil, with(VarStripeSecretKey, "sk_"+"live_"+"abc!"), []string{"STRIPE_SECRET_KEY is malformed"}, []string{"abc!"}},
		{"not a key", nil, with(VarStripeSecretKey, "hunter2-password"), []string{"STRIPE_SECRET_KEY is not a Stripe secret"}, []string{"hunter2"}},
		{"malformed webhook", nil, with(VarWebhookSecret, "whsec_"+"short"), []string{"STRIPE_WEBHOOK_SECRET entry 1 is malformed"}, []string{"short"}},
		{"empty file", nil, with(VarStripeSecretKey, "", VarStripeSecretKey+"_FILE", empty), []string{"STRIPE_SECRET_KEY", "is empty"}, nil},
		{"both X and X_FILE", nil, with(VarStripeSecretKey+"_FILE", empty), []string{"STRIPE_SECRET_KEY and STRIPE_SECRET_KEY_FILE are both set"}, []string{liveKey("a")}},
		{"insecure file", nil, with(VarStripeSecretKey, "", VarStripeSecretKey+"_FILE", insecure), []string{"STRIPE_SECRET_KEY", insecure, "chmod 600"}, []string{key}},
		{"test key in production", nil, with(VarStripeSecretKey, testKey("t")), []string{"STRIPE_SECRET_KEY is a test-mode key", "PAYWARDEN_ALLOW_MIXED_MODE"}, []string{testKey("t")}},
		{"live key in development", nil, with(VarEnv, "development"), []string{"STRIPE_SECRET_KEY is a live-mode key"}, []string{liveKey("a")}},
		{"capability keys of two modes", nil, with(VarReadKey, testKey("r"), VarAllowMixedMode, "true"), []string{"PAYWARDEN_READ_KEY", "one mode"}, []string{testKey("r")}},
		{"key in config file comment", []string{"--config", tomlKey}, prodEnv(), []string{tomlKey + " line 2"}, []string{key}},
		{"webhook secret in config file", []string{"--config", tomlHook}, prodEnv(), []string{tomlHook + " line 3"}, []string{whsec("z")}},
		{"literal secret in config file", []string{"--config", tomlLiteral}, with(VarStripeSecretKey, ""), []string{tomlLiteral + " line 1", "must be a reference"}, []string{"not-a-reference"}},
		{"unknown config key", []string{"--config", tomlUnknown}, prodEnv(), []string{tomlUnknown + " line 1: unknown key adr"}, nil},
		{"key in a flag", []string{"--stripe-api-base", key}, prodEnv(), []string{"flag --stripe-api-base"}, []string{key}},
		{"key as an argument", []string{key}, prodEnv(), []string{"command line"}, []string{key}},
		{"API version mismatch", nil, with(VarStripeAPIVersion, "2020-08-27"), []string{"PAYWARDEN_STRIPE_API_VERSION", "2020-08-27", stripe.APIVersion, "upgrade paywarden", "unset"}, nil},
		{"production without TLS", nil, with(VarTLSTerminatedUpstream, ""), []string{"PAYWARDEN_TLS_CERT_FILE", "PAYWARDEN_TLS_TERMINATED_UPSTREAM=true"}, nil},
		{"cert without key", nil, with(VarTLSCertFile, "/c.pem"), []string{"must be set together"}, nil},
		{"bad env", nil, with(VarEnv, "staging"), []string{"PAYWARDEN_ENV must be production or development"}, nil},
		{"bad bool", nil, with(VarAllowMixedMode, "yes please"), []string{"PAYWARDEN_ALLOW_MIXED_MODE must be true or false"}, nil},
		{"bad tolerance", nil, with(VarWebhookTolerance, "0s"), []string{"PAYWARDEN_WEBHOOK_TOLERANCE must be between"}, nil},
		{"bad body size", nil, with(VarWebhookMaxBody, "lots"), []string{"PAYWARDEN_WEBHOOK_MAX_BODY"}, nil},
		{"bad rate", nil, with(VarStripeRateLimit, "fast"), []string{"PAYWARDEN_STRIPE_RATE_LIMIT"}, nil},
		{"bad log level", []string{"--log-level", "loud"}, prodEnv(), []string{"flag --log-level must be"}, nil},
		{"bad reference", nil, with(VarStripeSecretKey, "vault:nomount"), []string{"STRIPE_SECRET_KEY", "vault:mount/path"}, nil},
		{"missing env reference", nil, with(VarStripeSecretKey, "env:NOT_THERE"), []string{"STRIPE_SECRET_KEY could not be read: env:NOT_THERE"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, getenv(tt.env))
			if err == nil {
				t.Fatal("Load succeeded, want a refusal")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, h := range append(tt.hidden, strings.Repeat("a", 24)) {
				if strings.Contains(msg, h) {
					t.Errorf("error %q holds the secret %q", msg, h)
				}
			}
		})
	}
}

func TestAllowMixedMode(t *testing.T) {
	env := prodEnv()
	env[VarStripeSecretKey] = testKey("t")
	env[VarAllowMixedMode] = "true"
	cfg, err := Load(nil, getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StripeRateLimit != 20 {
		t.Errorf("rate limit with a test key: got %v, want 20", cfg.StripeRateLimit)
	}
}

func TestConfigFileReferences(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "key", liveKey("k"), 0o600)
	file := writeFile(t, dir, "p.toml", fmt.Sprintf(`
stripe_secret_key_file = %q
stripe_webhook_secret = "env:HOOK"
tls_terminated_upstream = true

[stripe_webhook_secrets]
connect = "env:HOOK_CONNECT"
`, keyFile), 0o600)
	env := map[string]string{"HOOK": whsec("h"), "HOOK_CONNECT": whsec("c")}
	cfg, err := Load([]string{"--config", file}, getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StripeSecretKey.Reveal() != liveKey("k") || cfg.WebhookSecrets["connect"][0].Value.Reveal() != whsec("c") || !cfg.TLSTerminatedUpstream {
		t.Error("config file references not followed")
	}
}

func TestWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	dbFile := writeFile(t, dir, "db", "postgres://pw:s3cret-pass@db/paywarden\n", 0o600)
	cfg, err := Load(nil, getenv(map[string]string{VarDatabaseURL + "_FILE": dbFile}), WithoutSecrets())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatabaseURL.Reveal() != "postgres://pw:s3cret-pass@db/paywarden" || cfg.Secrets != nil {
		t.Error("database URL not read from its file, or secrets read")
	}
	if v := strings.Join(cfg.RedactValues(), " "); !strings.Contains(v, "s3cret-pass") {
		t.Error("RedactValues misses the database password")
	}
}

func TestDotEnv(t *testing.T) {
	key := testKey("d")
	dotenvText := "# dev\nexport " + VarStripeSecretKey + "=\"" + key + "\"\n" + VarWebhookSecret + "='" + whsec("d") + "'\n" + VarAddr + "=:7000\n"
	devEnv := func() map[string]string { return map[string]string{VarEnv: "development"} }

	t.Run("read in development, below the environment", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, ".env", dotenvText, 0o600)
		writeFile(t, dir, ".gitignore", "/bin/\n.env\n", 0o644)
		env := devEnv()
		env[VarAddr] = ":8000"
		cfg, err := Load(nil, getenv(env), WithDotEnv(p))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.StripeSecretKey.Reveal() != key || cfg.Addr != ":8000" || len(cfg.Warnings) != 0 {
			t.Errorf("got addr %s, warnings %q", cfg.Addr, cfg.Warnings)
		}
	})
	t.Run("warns when not ignored", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, ".env", dotenvText, 0o600)
		writeFile(t, dir, ".gitignore", ".env\n!.env\n", 0o644)
		cfg, err := Load(nil, getenv(devEnv()), WithDotEnv(p))
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], ".gitignore") {
			t.Errorf("warnings %q, want one about .gitignore", cfg.Warnings)
		}
	})
	t.Run("never read in production", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, ".env", dotenvText, 0o600)
		_, err := Load(nil, getenv(map[string]string{VarTLSTerminatedUpstream: "true"}), WithDotEnv(p))
		if err == nil || !strings.Contains(err.Error(), "STRIPE_SECRET_KEY is not set") {
			t.Errorf("got %v, want the .env ignored and the key missing", err)
		}
	})
	t.Run("PAYWARDEN_ENV in .env does not switch to development", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, ".env", VarEnv+"=development\n"+dotenvText, 0o600)
		_, err := Load(nil, getenv(map[string]string{VarTLSTerminatedUpstream: "true"}), WithDotEnv(p))
		if err == nil {
			t.Error("a .env switched production to development")
		}
	})
}

func TestGitIgnored(t *testing.T) {
	for _, tt := range []struct {
		gitignore string
		want      bool
	}{
		{".env\n", true}, {"/.env\n", true}, {".env*\n", true}, {"**/.env\n", true}, {"*.env\n", true},
		{"", false}, {".envrc\n", false}, {".env\n!.env\n", false}, {"bin/\n", false},
	} {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, ".git"), 0o755)
		p := writeFile(t, dir, ".env", "", 0o600)
		writeFile(t, dir, ".gitignore", tt.gitignore, 0o644)
		if got := gitIgnored(p); got != tt.want {
			t.Errorf("gitignore %q: got %v, want %v", tt.gitignore, got, tt.want)
		}
	}
}

func TestErrorIsConfigError(t *testing.T) {
	_, err := Load(nil, getenv(nil))
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) < 2 {
		t.Errorf("got %v, want an *Error listing every problem", err)
	}
	_ = paywarden.Redacted
}

// fakeFetcher stands in for a secrets manager behind config.Load; the real
// clients are tested against wire-protocol fakes in secrets/awssm and
// secrets/vault.
type fakeFetcher map[string]string

func (f fakeFetcher) Fetch(_ context.Context, ref secrets.Ref) (string, error) {
	v, ok := f[ref.String()]
	if !ok {
		return "", fmt.Errorf("not found")
	}
	return v, nil
}

func TestManagerReferences(t *testing.T) {
	aws := fakeFetcher{"awssm:prod/stripe#key": liveKey("m"), "awssm:prod/stripe#hook": whsec("m")}
	vault := fakeFetcher{"vault:secret/stripe#connect": whsec("v")}
	env := map[string]string{
		VarStripeSecretKey:              "awssm:prod/stripe#key",
		VarWebhookSecret:                "awssm:prod/stripe#hook",
		"STRIPE_WEBHOOK_SECRET_CONNECT": "vault:secret/stripe#connect",
		VarWebhookEndpoints:             "connect",
		VarTLSTerminatedUpstream:        "true",
	}
	cfg, err := Load(nil, getenv(env), WithContext(context.Background()), WithFetchers(
		func(context.Context) (secrets.Fetcher, error) { return aws, nil },
		func(context.Context) (secrets.Fetcher, error) { return vault, nil }))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StripeSecretKey.Reveal() != liveKey("m") || cfg.WebhookSecrets["connect"][0].Value.Reveal() != whsec("v") {
		t.Error("managed references not resolved")
	}
	opts := cfg.SecretsOptions()
	if len(opts.Specs) != 3 || opts.Resolver == nil || opts.Refresh != 5*time.Minute || !opts.Policy.Production {
		t.Errorf("SecretsOptions = %+v", opts)
	}
	m, err := secrets.NewManager(cfg.Secrets, opts)
	if err != nil {
		t.Fatal(err)
	}
	aws["awssm:prod/stripe#key"] = liveKey("n")
	if err := m.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if k, _ := m.Key(paywarden.CapabilityDefault); k.Value.Reveal() != liveKey("n") {
		t.Error("reload did not pick up the rotated key")
	}
}

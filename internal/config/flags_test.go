package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestDefineFlags(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := DefineFlags(fs, DatabaseSettings...)
	var names []string
	fs.VisitAll(func(fl *flag.Flag) {
		names = append(names, fl.Name)
		if fl.Name != "config" && (!strings.Contains(fl.Usage, "(default ") || !strings.Contains(fl.Usage, "env PAYWARDEN_")) {
			t.Errorf("--%s: usage %q lacks its default or variable", fl.Name, fl.Usage)
		}
	})
	if got := strings.Join(names, ","); got != "config,database-url,env" {
		t.Errorf("flags: got %s, want config,database-url,env", got)
	}
	if err := fs.Parse([]string{"--database-url", "sqlite:x.db", "--env", "development"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load([]string{"arg"}, getenv(map[string]string{VarDatabaseURL: "sqlite:env.db"}), WithFlags(f), WithoutSecrets())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatabaseURL.Reveal() != "sqlite:x.db" || !cfg.DatabaseURLFromFlag || cfg.Env != EnvDevelopment || len(cfg.Args) != 1 {
		t.Errorf("got %s from flag %v, env %s, args %v; want the flags to win", cfg.DatabaseURL.Reveal(), cfg.DatabaseURLFromFlag, cfg.Env, cfg.Args)
	}
}

// WithKeysOnly needs no webhook secret; WithAnyMode shows a test key in
// production instead of refusing it.
func TestKeysOnlyAndAnyMode(t *testing.T) {
	env := getenv(map[string]string{VarStripeSecretKey: testKey("k")})
	if _, err := Load(nil, env, WithKeysOnly()); err == nil || !strings.Contains(err.Error(), "test-mode key") {
		t.Errorf("a test key in production, keys only: got %v, want the mode refused", err)
	}
	cfg, err := Load(nil, env, WithKeysOnly(), WithAnyMode())
	if err != nil {
		t.Fatalf("keys only, any mode: %v", err)
	}
	if cfg.Secrets == nil || cfg.Secrets.Livemode() || len(cfg.WebhookSecrets) != 0 {
		t.Errorf("got %+v", cfg.Secrets)
	}
	if _, err := Load(nil, env, WithoutListener()); err == nil || !strings.Contains(err.Error(), VarWebhookSecret) {
		t.Errorf("without WithKeysOnly the webhook secret is required: got %v", err)
	}
}

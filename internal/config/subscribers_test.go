package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSubscribers(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeFile(t, dir, "ledger_secret", whsec("l")+"\n", 0o600)

	env := prodEnv()
	env[VarSubscribers] = "billing, ledger"
	env["PAYWARDEN_SUBSCRIBER_BILLING_URL"] = "https://billing.internal/hooks"
	env["PAYWARDEN_SUBSCRIBER_BILLING_TYPES"] = "invoice.*, customer.subscription.updated"
	env["PAYWARDEN_SUBSCRIBER_BILLING_SECRET"] = whsec("b")
	env["PAYWARDEN_SUBSCRIBER_LEDGER_URL"] = "http://ledger:8080/in"
	env["PAYWARDEN_SUBSCRIBER_LEDGER_SECRET_FILE"] = secretFile
	cfg, err := Load(nil, getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	type sub struct {
		Name, URL, Secret string
		Types             []string
	}
	var got []sub
	for _, s := range cfg.Subscribers {
		got = append(got, sub{s.Name, s.URL, s.Secret.Reveal(), s.Types})
	}
	want := []sub{
		{"billing", "https://billing.internal/hooks", whsec("b"), []string{"invoice.*", "customer.subscription.updated"}},
		{"ledger", "http://ledger:8080/in", whsec("l"), []string{"*"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subscribers (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(cfg.RedactValues(), " "), whsec("b")) {
		t.Error("a subscriber secret is not redacted")
	}

	for name, change := range map[string]map[string]string{
		"no secret":                  {"PAYWARDEN_SUBSCRIBER_BILLING_SECRET": ""},
		"malformed secret":           {"PAYWARDEN_SUBSCRIBER_BILLING_SECRET": "hunter2hunter2"},
		"no url":                     {"PAYWARDEN_SUBSCRIBER_BILLING_URL": ""},
		"url with password":          {"PAYWARDEN_SUBSCRIBER_BILLING_URL": "https://u:p@billing.internal/"},
		"bad name":                   {VarSubscribers: "bill-ing"},
		"group-readable secret file": {"PAYWARDEN_SUBSCRIBER_LEDGER_SECRET_FILE": writeFile(t, filepath.Join(dir), "open", whsec("o"), 0o644)},
	} {
		t.Run(name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range change {
				e[k] = v
			}
			_, err := Load(nil, getenv(e))
			if err == nil {
				t.Fatal("loaded, want a configuration error")
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), whsec("o")) {
				t.Errorf("the error holds the secret: %v", err)
			}
		})
	}
}

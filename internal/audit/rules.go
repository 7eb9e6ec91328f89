package audit

import (
	"fmt"
	"sort"
	"strings"
)

// Rule describes one kind of finding. Every Finding's RuleID names a Rule
// in Rules.
type Rule struct {
	ID       string
	Family   string
	Title    string
	Severity Severity // the usual severity; a finding may raise or lower it
	CWE      string
	Help     string // why it matters and how to fix it, shown as fix guidance
}

// Rule families, as accepted by --rules.
const (
	FamilySecrets    = "secrets"
	FamilyAPIVersion = "apiversion"
	FamilyWebhooks   = "webhooks"
	FamilyErrors     = "errors"
	FamilyDeps       = "deps"
)

// Rules is the catalog of every rule, in the order they are documented.
var Rules = []Rule{
	// secrets
	{"secret-live-key", FamilySecrets, "Stripe live secret key", Critical, "CWE-798",
		"Roll the key now in the Dashboard (Developers > API keys), remove it from the file and from git history, and load it from the environment or a secrets manager."},
	{"secret-test-key", FamilySecrets, "Stripe test secret key", Medium, "CWE-798",
		"Test keys reach real test-mode data and webhooks. Roll the key and load it from the environment instead of the source tree."},
	{"secret-live-restricted-key", FamilySecrets, "Stripe live restricted key", High, "CWE-798",
		"Roll the restricted key in the Dashboard, remove it from the file and from git history, and load it from the environment or a secrets manager."},
	{"secret-test-restricted-key", FamilySecrets, "Stripe test restricted key", Low, "CWE-798",
		"Roll the key and load it from the environment instead of the source tree."},
	{"secret-webhook-signing", FamilySecrets, "Stripe webhook signing secret", High, "CWE-798",
		"Anyone with the signing secret can forge webhook events. Roll it (Dashboard > Webhooks > Roll secret) and load it from the environment."},
	{"secret-in-code", FamilySecrets, "Stripe key assigned in code", Critical, "CWE-798",
		"Never hardcode the key given to the Stripe client. Read it from the environment (os.environ[\"STRIPE_SECRET_KEY\"], process.env.STRIPE_SECRET_KEY, os.Getenv) and roll the exposed key."},
	{"secret-fallback", FamilySecrets, "Stripe key hardcoded as a fallback", Critical, "CWE-798",
		"A default value for a missing environment variable ships the key with the code. Fail at start when the variable is missing, and roll the exposed key."},
	{"secret-env-file", FamilySecrets, ".env file committed or not ignored", High, "CWE-538",
		"Remove the file from git (git rm --cached), add it to .gitignore, roll every secret it held, and commit a .env.example with placeholders instead."},
	{"secret-logged", FamilySecrets, "Stripe key printed, logged or returned", High, "CWE-532",
		"Logs and responses are read by many. Print at most a fingerprint or the last four characters of a key."},

	// api version
	{"apiversion-unpinned", FamilyAPIVersion, "Stripe client without a pinned API version", Medium, "CWE-1104",
		"Pin the API version in code (stripe.api_version = \"YYYY-MM-DD\"; new Stripe(key, {apiVersion: \"YYYY-MM-DD\"})) so that a Dashboard upgrade cannot change the shape of responses and events under you."},
	{"apiversion-mismatch", FamilyAPIVersion, "Services pinned to different Stripe API versions", Medium, "CWE-1104",
		"Services that share a Stripe account and its webhook events should agree on one API version; upgrade them together."},
	{"apiversion-stale", FamilyAPIVersion, "Stripe API version pinned more than two years ago", Low, "CWE-1104",
		"Old API versions miss security and behaviour fixes and will be retired. Read the upgrade guide and move to a recent version."},

	// webhooks
	{"webhook-unverified", FamilyWebhooks, "Stripe webhook event used without verifying its signature", Critical, "CWE-345",
		"Anyone can POST a forged event to a webhook URL. Verify the Stripe-Signature header on the raw body (stripe.Webhook.construct_event, stripe.webhooks.constructEvent, webhook.ConstructEvent) before using the event."},
	{"webhook-fail-open", FamilyWebhooks, "Webhook verification that can be skipped", Critical, "CWE-636",
		"Verification must not depend on a secret being configured or on a magic header value: refuse to start (or answer 500) without a secret, and always verify."},
	{"webhook-tolerance-disabled", FamilyWebhooks, "Webhook timestamp tolerance disabled", High, "CWE-294",
		"Without a tolerance an intercepted event can be replayed forever. Keep the default tolerance of 300 seconds."},
	{"webhook-error-ignored", FamilyWebhooks, "Webhook verification failure ignored or answered with success", High, "CWE-390",
		"Answer 400 when verification fails and stop handling the request; never answer 2xx for an event you could not verify."},
	{"webhook-secret-hardcoded", FamilyWebhooks, "Webhook signing secret hardcoded", High, "CWE-798",
		"Load the signing secret from the environment or a secrets manager and roll the exposed one."},
	{"webhook-raw-body-lost", FamilyWebhooks, "Webhook raw body parsed before verification", High, "CWE-345",
		"Signature verification needs the exact raw bytes. Mount the webhook route with a raw body parser (express.raw({type: 'application/json'})) before any JSON parser, and pass request.data, not re-serialized JSON."},
	{"webhook-debug-server", FamilyWebhooks, "Debug server in a module that serves webhooks", High, "CWE-489",
		"Never run the Flask/Werkzeug debug server where the internet can reach it: its debugger executes code. Use a production server (gunicorn, uwsgi) and FLASK_DEBUG=0."},

	// errors
	{"error-unhandled", FamilyErrors, "Stripe call without error handling", Medium, "CWE-755",
		"Stripe calls fail: card declines, network errors, rate limits. Catch stripe.error.StripeError (or StripeError subclasses) and answer accordingly."},
	{"error-swallowed", FamilyErrors, "Stripe error swallowed by a broad handler", Medium, "CWE-396",
		"Catch the specific Stripe errors you can handle, re-raise the rest, and never continue as if a failed payment succeeded."},
	{"error-leaked", FamilyErrors, "Stripe error or request body returned or logged whole", Medium, "CWE-209",
		"Return a generic message (or error.user_message for card errors) and log the request id and error code, not the raw error or request body."},
	{"error-retries-disabled", FamilyErrors, "Stripe network retries disabled", Low, "CWE-754",
		"Keep automatic retries (max_network_retries >= 2) with idempotency keys so that transient failures do not lose or double payments."},

	// dependencies
	{"dep-vulnerable", FamilyDeps, "Dependency with a known vulnerability", High, "CWE-1395",
		"Upgrade to a fixed version listed in the advisory."},
	{"dep-stripe-outdated", FamilyDeps, "Stripe SDK several major versions behind", Medium, "CWE-1104",
		"Upgrade the Stripe SDK; old majors miss fixes and pin old API versions."},
	{"dep-stripe-unpinned", FamilyDeps, "Stripe dependency not pinned", Medium, "CWE-1357",
		"Pin the Stripe SDK to a version or a compatible range (stripe==X.Y.Z, stripe~=X.Y, \"stripe\": \"^X.Y.Z\") and commit a lock file, so a new major cannot change payment behaviour on deploy."},
	{"dep-typosquat", FamilyDeps, "Look-alike of a popular package name", High, "CWE-1357",
		"Check that this is the package you meant: typosquatted names are a common way to ship malware. Use the exact name of the official package."},
	{"dep-extra-index", FamilyDeps, "Extra or alternative package index", Medium, "CWE-427",
		"Extra indexes allow dependency confusion: a public package with the name of a private one wins. Use a single index that proxies the public one, or pin hashes."},
	{"dep-go-impostor", FamilyDeps, "Go module imitating github.com/stripe", High, "CWE-1357",
		"Use the official module github.com/stripe/stripe-go/vNN; a look-alike path or a replace directive can ship anything."},
}

var rulesByID = func() map[string]*Rule {
	m := make(map[string]*Rule, len(Rules))
	for i := range Rules {
		m[Rules[i].ID] = &Rules[i]
	}
	return m
}()

// RuleByID returns the rule with the given id.
func RuleByID(id string) (Rule, bool) {
	r, ok := rulesByID[id]
	if !ok {
		return Rule{}, false
	}
	return *r, true
}

var familyAliases = map[string]string{
	"secrets": FamilySecrets, "secret": FamilySecrets,
	"apiversion": FamilyAPIVersion, "api-version": FamilyAPIVersion, "api_version": FamilyAPIVersion,
	"webhooks": FamilyWebhooks, "webhook": FamilyWebhooks,
	"errors": FamilyErrors, "error": FamilyErrors,
	"deps": FamilyDeps, "dependencies": FamilyDeps, "dependency": FamilyDeps,
}

// RuleSet is a set of enabled rule ids. A nil RuleSet enables every rule.
type RuleSet map[string]bool

// ParseRules parses a --rules list: comma-separated rule ids and family
// names ("secrets,webhook-unverified").
func ParseRules(list string) (RuleSet, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "all" {
		return nil, nil
	}
	set := RuleSet{}
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if fam, ok := familyAliases[name]; ok {
			for _, r := range Rules {
				if r.Family == fam {
					set[r.ID] = true
				}
			}
			continue
		}
		if _, ok := rulesByID[name]; !ok {
			return nil, fmt.Errorf("unknown rule or family %q (families: secrets, apiversion, webhooks, errors, deps)", name)
		}
		set[name] = true
	}
	return set, nil
}

// Has reports whether rule id is enabled.
func (s RuleSet) Has(id string) bool { return s == nil || s[id] }

// family reports whether any rule of family fam is enabled.
func (s RuleSet) family(fam string) bool {
	if s == nil {
		return true
	}
	for id := range s {
		if rulesByID[id].Family == fam {
			return true
		}
	}
	return false
}

// IDs returns the enabled rule ids, sorted.
func (s RuleSet) IDs() []string {
	var ids []string
	for _, r := range Rules {
		if s.Has(r.ID) {
			ids = append(ids, r.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

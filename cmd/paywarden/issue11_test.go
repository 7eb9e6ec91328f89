package main

// Each complaint of issue 11, run through the built binary as a user runs
// it, and shown fixed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripesig"
)

// bin runs the binary in dir with exactly env (and PATH, HOME).
func bin(t *testing.T, dir string, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(paywardenBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("paywarden %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// makeRunWorld is the setup scripts/run-dev.sh makes: development,
// secrets in files of mode 600 named in a config file, a SQLite database.
// It returns the directory, the config file and the secret file paths.
func makeRunWorld(t *testing.T, stripeBase string) (dir, conf, keyFile, whsecFile string) {
	t.Helper()
	dir = t.TempDir()
	sec := filepath.Join(dir, "var", "secrets")
	if err := os.MkdirAll(sec, 0o700); err != nil {
		t.Fatal(err)
	}
	keyFile, whsecFile = filepath.Join(sec, "stripe_secret_key"), filepath.Join(sec, "stripe_webhook_secret")
	os.WriteFile(keyFile, []byte(newTestKey()), 0o600)
	os.WriteFile(whsecFile, []byte(newWebhookSecret()), 0o600)
	conf = filepath.Join(dir, "var", "paywarden-dev.toml")
	text := fmt.Sprintf("env = \"development\"\ndatabase_url = \"sqlite:var/paywarden-dev.db\"\nadmin_addr = \"127.0.0.1:1\"\n"+
		"stripe_secret_key_file = %q\nstripe_webhook_secret_file = %q\n", keyFile, whsecFile)
	if stripeBase != "" {
		text += fmt.Sprintf("stripe_api_base = %q\n", stripeBase)
	}
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, conf, keyFile, whsecFile
}

func oneLine(t *testing.T, what, stderr string) {
	t.Helper()
	if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || stderr == "" {
		t.Errorf("%s: stderr is not one line: %q", what, stderr)
	}
}

func TestIssue11FlagsAndArguments(t *testing.T) {
	dir, conf, _, _ := makeRunWorld(t, "")
	if _, errOut, code := bin(t, dir, nil, "migrate", "--config", conf); code != 0 {
		t.Fatalf("migrate --config: exit %d: %s", code, errOut)
	}
	db := filepath.Join(dir, "var", "paywarden-dev.db")
	st, err := sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := st.InsertEvents(context.Background(), []*paywarden.Event{{ID: "evt_x", Type: "customer.updated", Created: now,
		APIVersion: stripe.APIVersion, ObjectID: "cus_1", ObjectType: "customer", Endpoint: "default", Payload: []byte(`{"id":"evt_x"}`),
		Status: paywarden.EventDead, ReceivedAt: now, NextAttemptAt: now}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	dbURL := "sqlite:" + db

	// Flags after arguments, in the form the usage prints.
	out, errOut, code := bin(t, dir, nil, "events", "show", "evt_x", "--format", "json", "--database-url", dbURL)
	var ev map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil || ev["id"] != "evt_x" {
		t.Errorf("events show evt_x --format json: exit %d, %q %q", code, out, errOut)
	}
	// Stray arguments are refused in one line.
	_, errOut, code = bin(t, dir, nil, "events", "list", "--limit", "1", "extra", "--database-url", dbURL)
	if code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("events list --limit 1 extra: exit %d, %q; want 2 and the argument named", code, errOut)
	}
	oneLine(t, "events list extra", errOut)
	// --database-url and --config on tokens, events and keys.
	for _, args := range [][]string{
		{"tokens", "list", "--database-url", dbURL},
		{"tokens", "list", "--config", conf},
		{"events", "list", "--config", conf},
		{"keys", "status", "--config", conf},
		{"events", "replay", "evt_x", "--config", conf, "--format", "json"},
	} {
		if out, errOut, code := bin(t, dir, nil, args...); code != 0 {
			t.Errorf("%v: exit %d: %s %s", args, code, out, errOut)
		}
	}
	// An unknown flag: one line and "see --help", on every command.
	for _, args := range [][]string{{"serve"}, {"migrate"}, {"doctor"}, {"version"}, {"audit"}, {"keys", "status"}, {"keys", "verify"},
		{"tokens", "create"}, {"tokens", "list"}, {"tokens", "revoke"}, {"events", "list"}, {"events", "show"},
		{"events", "replay"}, {"events", "reconcile"}} {
		_, errOut, code := bin(t, dir, nil, append(args, "--no-such-flag")...)
		if code != 2 || !strings.Contains(errOut, "--help") || !strings.Contains(errOut, "--no-such-flag") {
			t.Errorf("%v --no-such-flag: exit %d, %q; want 2, the flag and see --help", args, code, errOut)
		}
		oneLine(t, fmt.Sprint(args), errOut)
	}
}

func TestIssue11ReadOnlyCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"events", "list"}, {"events", "show", "evt_1"}, {"tokens", "list"}, {"doctor"}} {
		_, errOut, code := bin(t, dir, nil, args...)
		if code == 0 || !strings.Contains(errOut+"", "no database") && args[0] != "doctor" {
			t.Errorf("%v in an empty directory: exit %d, %q; want a failure saying no database exists", args, code, errOut)
		}
	}
	out, _, _ := bin(t, dir, nil, "doctor")
	if !strings.Contains(out, "no database at paywarden.db") {
		t.Errorf("doctor in an empty directory does not say there is no database: %s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("read-only commands left files: %v", entries)
	}
}

func TestIssue11KeysStatusNeedsOnlyTheKeys(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	os.WriteFile(key, []byte(newTestKey()), 0o600)
	// No webhook secret, no PAYWARDEN_ENV (production), a test key.
	out, errOut, code := bin(t, dir, map[string]string{"STRIPE_SECRET_KEY_FILE": key}, "keys", "status", "--format", "json")
	var got []keyStatus
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 || got[0].Mode != "test" {
		t.Fatalf("keys status with only a key: exit %d, %q, %q", code, out, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("keys status created files: %v", entries)
	}
}

func TestIssue11Help(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"serve"}, {"migrate"}, {"doctor"}, {"version"}, {"audit"}, {"keys", "status"}, {"keys", "verify"},
		{"tokens", "create"}, {"tokens", "list"}, {"tokens", "revoke"}, {"events", "list"}, {"events", "show"},
		{"events", "replay"}, {"events", "reconcile"}} {
		out, _, code := bin(t, dir, nil, append(args, "--help")...)
		if code != 0 {
			t.Errorf("%v --help: exit %d", args, code)
			continue
		}
		for _, want := range []string{"paywarden " + strings.Join(args, " ") + ": ", "Usage:", "Flags", "Example:\n  paywarden "} {
			if !strings.Contains(out, want) {
				t.Errorf("%v --help lacks %q", args, want)
			}
		}
		if strings.Contains(out, "overrides PAYWARDEN") {
			t.Errorf("%v --help still prints bare 'overrides' flags", args)
		}
		// Every configuration flag names its default and its variable.
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "env PAYWARDEN_") && !strings.Contains(l, "(default ") {
				t.Errorf("%v --help: %q has a variable but no default", args, l)
			}
		}
	}
	out, _, _ := bin(t, dir, nil, "migrate", "--help")
	for _, unused := range []string{"--addr", "--tls-cert-file", "--webhook-tolerance", "--subscribers"} {
		if strings.Contains(out, unused+" ") {
			t.Errorf("migrate --help lists %s, which it never uses", unused)
		}
	}
	if !strings.Contains(out, "--database-url URL") || !strings.Contains(out, "env PAYWARDEN_DATABASE_URL") {
		t.Errorf("migrate --help lacks --database-url with its variable:\n%s", out)
	}
	out, _, _ = bin(t, dir, nil, "tokens", "create", "--help")
	for _, s := range paywarden.Scopes {
		if !strings.Contains(out, s) {
			t.Errorf("tokens create --help does not list scope %s", s)
		}
	}
	out, _, _ = bin(t, dir, nil, "serve", "--help")
	if !strings.Contains(out, "--database-url URL") || !strings.Contains(out, "(default :8443; env PAYWARDEN_ADDR)") {
		t.Errorf("serve --help lacks descriptions and defaults:\n%s", out)
	}
}

func TestIssue11Version(t *testing.T) {
	dir := t.TempDir()
	a, _, c1 := bin(t, dir, nil, "version")
	b, _, c2 := bin(t, dir, nil, "--version")
	if c1 != 0 || c2 != 0 || a != b {
		t.Errorf("--version differs from version: %q vs %q", b, a)
	}
	out, _, _ := bin(t, dir, nil, "version", "--format", "json")
	var v versionInfo
	if json.Unmarshal([]byte(out), &v) != nil || v.StripeAPIVersion != stripe.APIVersion || v.Version == "" {
		t.Errorf("version --format json: %q", out)
	}
	// The Makefile stamps both from git.
	root, _ := filepath.Abs("../..")
	mk := exec.Command("make", "-s", "-n", "build")
	mk.Dir = root
	plan, err := mk.CombinedOutput()
	if err != nil {
		t.Skipf("make -n build: %v", err)
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	if !strings.Contains(string(plan), "-X main.version=") || !strings.Contains(string(plan), "-X main.commit="+strings.TrimSpace(string(head))) {
		t.Errorf("make build does not stamp version and commit: %s", plan)
	}
}

func TestIssue11Messages(t *testing.T) {
	good := newTestKey()
	// A Stripe that refuses every key and lists no events.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/events" {
			io.WriteString(w, `{"object":"list","has_more":false,"data":[]}`)
			return
		}
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{"PAYWARDEN_ENV": "development", "STRIPE_SECRET_KEY": good, "PAYWARDEN_STRIPE_API_BASE": srv.URL,
		"PAYWARDEN_DATABASE_URL": "sqlite:" + filepath.Join(dir, "pw.db")}

	out, errOut, code := bin(t, dir, env, "keys", "verify")
	if code != 1 || !strings.Contains(out, "FAILED") || strings.Contains(out+errOut, "%v") || strings.Contains(errOut, "stripe-go") {
		t.Errorf("keys verify: exit %d, stdout %q, stderr %q; want 1, FAILED and no unfilled placeholder", code, out, errOut)
	}
	out, _, _ = bin(t, dir, env, "keys", "verify", "--format", "json")
	var verified []keyVerified
	if json.Unmarshal([]byte(out), &verified) != nil || len(verified) != 1 || verified[0].OK {
		t.Errorf("keys verify --format json: %q", out)
	}

	if _, errOut, code := bin(t, dir, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	since := time.Now().AddDate(0, 0, -93).Format(time.DateOnly)
	_, errOut, code = bin(t, dir, env, "events", "reconcile", "--since", since)
	if code != 0 || !strings.Contains(errOut, "past Stripe's 30-day event retention") || strings.Contains(errOut, "close to") {
		t.Errorf("reconcile --since 93 days back: exit %d, %q; want it called past the retention", code, errOut)
	}
	out, errOut, code = bin(t, dir, env, "events", "reconcile", "--since", "40d", "--format", "json")
	var rec reconcileJSON
	if code != 0 || json.Unmarshal([]byte(out), &rec) != nil || !strings.Contains(rec.Warning, "past") {
		t.Errorf("reconcile --since 40d --format json: exit %d, %q %q", code, out, errOut)
	}
	out, _, code = bin(t, dir, env, "tokens", "create", "--name", "ci", "--scope", "admin", "--format", "json")
	var tok createdToken
	if code != 0 || json.Unmarshal([]byte(out), &tok) != nil || !strings.HasPrefix(tok.Token, paywarden.TokenPrefix) || !strings.HasPrefix(tok.ID, "tok_") {
		t.Errorf("tokens create --format json: exit %d, %q", code, out)
	}
}

func TestIssue11UnknownWebhookEndpoint(t *testing.T) {
	dir := t.TempDir()
	env := devEnv(dir, newFakeStripe(t).URL)
	p := startProc(t, dir, env)
	body := event{ID: "evt_" + randAlnum(20), Type: "customer.updated", Created: time.Now().Unix(),
		Object: map[string]any{"id": "cus_1", "object": "customer"}}.body()
	sig := stripesig.Sign(body, paywarden.NewSecret(env["STRIPE_WEBHOOK_SECRET"]), time.Now())
	status, answer, err := postWebhook(p.URL+"/webhooks/stripe/nope", sig, body)
	if err != nil || status != http.StatusNotFound || !strings.Contains(answer, `"type":"not_found"`) {
		t.Errorf("POST /webhooks/stripe/nope: %d %s %v; want 404 not_found", status, answer, err)
	}
	eventually(t, 10*time.Second, func() error {
		if !strings.Contains(p.stderr.String(), "unknown_endpoint") {
			return fmt.Errorf("the log does not say unknown_endpoint:\n%s", p.stderr.String())
		}
		return nil
	})
}

func TestIssue11Doctor(t *testing.T) {
	// Online: a Stripe whose only endpoint sends another API version.
	var version atomic.Value // the endpoint's API version, changed by the test
	version.Store(stripe.APIVersion)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/balance":
			io.WriteString(w, `{"object":"balance","livemode":false}`)
		case "/v1/account":
			io.WriteString(w, `{"id":"acct_1","object":"account","charges_enabled":true}`)
		case "/v1/webhook_endpoints":
			fmt.Fprintf(w, `{"object":"list","has_more":false,"data":[{"id":"we_1","url":"https://pay.example.com/webhooks/stripe","status":"enabled","api_version":%q,"enabled_events":["*"]}]}`, version.Load())
		default:
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"type":"invalid_request_error"}}`)
		}
	}))
	defer srv.Close()
	dir, conf, keyFile, _ := makeRunWorld(t, srv.URL)
	doctor := func(args ...string) (string, int) {
		out, errOut, code := bin(t, dir, nil, append([]string{"doctor", "--config", conf}, args...)...)
		if code == 2 {
			t.Fatalf("doctor %v: exit 2: %s", args, errOut)
		}
		return out, code
	}
	wantFail := func(what, out string, code int, line, advice string) {
		t.Helper()
		if code != 1 || !strings.Contains(out, line) || !strings.Contains(out, "-> ") || !strings.Contains(out, advice) {
			t.Errorf("%s: exit %d, want 1 with %q and advice %q:\n%s", what, code, line, advice, out)
		}
	}

	// Pending migrations: the database exists but was never migrated.
	db := filepath.Join(dir, "var", "paywarden-dev.db")
	os.WriteFile(db, nil, 0o600)
	out, code := doctor()
	wantFail("pending migrations", out, code, "pending migration(s)", "run 'paywarden migrate'")

	if _, errOut, code := bin(t, dir, nil, "migrate", "--config", conf); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	if out, code := doctor(); code != 0 || !strings.Contains(out, "0 fail") {
		t.Errorf("doctor on a healthy make run setup: exit %d:\n%s", code, out)
	}
	if out, code := doctor("--online"); code != 0 {
		t.Errorf("doctor --online on a healthy setup: exit %d:\n%s", code, out)
	}

	os.Chmod(keyFile, 0o644)
	out, code = doctor()
	wantFail("world-readable secret file", out, code, "group or others can read a secret", "chmod 600 "+keyFile)
	os.Chmod(keyFile, 0o600)

	version.Store("2020-08-27")
	out, code = doctor("--online", "--format", "json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK {
		t.Fatalf("doctor --online --format json with an old endpoint: exit %d, %v:\n%s", code, err, out)
	}
	found := false
	for _, c := range rep.Checks {
		if c.Name == "webhook endpoint we_1" && c.Status == "fail" && strings.Contains(c.Advice, "second endpoint pinned to "+stripe.APIVersion) {
			found = true
		}
	}
	if !found {
		t.Errorf("no failing check of the endpoint on 2020-08-27: %+v", rep.Checks)
	}
	version.Store(stripe.APIVersion)

	st, err := sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	st.InsertEvents(context.Background(), []*paywarden.Event{{ID: "evt_dead", Type: "customer.updated", Created: now,
		APIVersion: stripe.APIVersion, ObjectID: "cus_1", ObjectType: "customer", Endpoint: "default", Payload: []byte(`{}`),
		Status: paywarden.EventDead, ReceivedAt: now, NextAttemptAt: now}})
	st.Close()
	out, code = doctor()
	wantFail("dead event", out, code, "1 dead", "events replay --status dead")
}

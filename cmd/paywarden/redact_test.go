package main

// Issue 2: no secret value reaches stdout, stderr, a response, the metrics
// or the database, whatever error path a request or a reload takes.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripesig"
)

func TestRedactionEndToEnd(t *testing.T) {
	dir := t.TempDir()
	fs := newFakeStripe(t)
	fs.setEcho(true) // the key is not allowed: every call fails quoting it
	env := with(devEnv(dir, fs.URL), "PAYWARDEN_LOG_LEVEL", "debug")
	key, secret := env["STRIPE_SECRET_KEY"], env["STRIPE_WEBHOOK_SECRET"]
	secrets := []string{key, key[8:], secret, secret[6:]}
	s := startServe(t, env)
	st := openSQLite(t, env)
	hook := s.URL + "/webhooks/stripe"
	now := time.Now()
	sign := func(body []byte, with string, at time.Time) string {
		return stripesig.Sign(body, paywarden.NewSecret(with), at)
	}
	good := customerEvent("cus_"+randAlnum(14), 1, now.Unix())
	goodBody := good.body()
	live := good
	live.ID, live.Livemode = "evt_"+randAlnum(24), true
	leaky := []byte(`{"id":"evt_1","object":"event","note":"` + key + ` ` + secret + `"}`)

	var responses []string
	for _, tc := range []struct {
		name, url, sig string
		body           []byte
		want           int
	}{
		{"no header", hook, "", goodBody, 400},
		{"wrong signature", hook, sign(goodBody, newWebhookSecret(), now), goodBody, 400},
		{"signed with the Stripe key", hook, sign(goodBody, key, now), goodBody, 400},
		{"header holding the webhook secret", hook, "t=" + fmt.Sprint(now.Unix()) + ",v1=" + secret, goodBody, 400},
		{"header holding the Stripe key", hook, "t=" + fmt.Sprint(now.Unix()) + "," + key + "=1", goodBody, 400},
		{"header that is the secret", hook, secret, goodBody, 400},
		{"too old", hook, sign(goodBody, secret, now.Add(-time.Hour)), goodBody, 400},
		{"from the future", hook, sign(goodBody, secret, now.Add(time.Hour)), goodBody, 400},
		{"body holding secrets, signed", hook, sign(leaky, secret, now), leaky, 400},
		{"body holding secrets, unsigned", hook, "t=1,v1=" + strings.Repeat("0", 64), leaky, 400},
		{"livemode differs from the key", hook, sign(live.body(), secret, now), live.body(), 400},
		{"endpoint not configured", hook + "/connect", sign(goodBody, secret, now), goodBody, 404},
		{"oversize", hook, sign([]byte(strings.Repeat(secret, 20000)), secret, now), []byte(strings.Repeat(secret, 20000)), 413},
	} {
		status, body, err := postWebhook(tc.url, tc.sig, tc.body)
		if err != nil || status != tc.want {
			t.Errorf("%s: %d %s %v, want %d", tc.name, status, body, err, tc.want)
		}
		responses = append(responses, body)
	}

	// The internal API, given a Stripe key or webhook secret as a token,
	// in a query string, in a header.
	for _, tc := range []struct{ name, path, auth string }{
		{"Stripe key as a bearer token", "/v1/payments", "Bearer " + key},
		{"webhook secret as a bearer token", "/v1/events", "Bearer " + secret},
		{"key in the query string", "/v1/payments?api_key=" + key + "&secret=" + secret, ""},
		{"key in the path", "/v1/customers/" + key, "Basic " + key},
	} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		req.Header.Set("X-Debug", secret)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s: %d %s, want 401", tc.name, resp.StatusCode, b)
		}
		responses = append(responses, string(b))
	}

	// Two events of a payment intent in the same second, a tie that only a
	// re-fetch can order, and Stripe refuses the re-fetch, quoting the key.
	pi := "pi_" + randAlnum(24)
	var piEvents []event
	for range 2 {
		e := event{ID: "evt_" + randAlnum(24), Type: "payment_intent.succeeded", Created: now.Unix(),
			Object: paymentIntent(pi, 500, "succeeded", now.Unix())}
		if status, body, err := postEvent(s.URL, secret, e.body()); status != 200 || err != nil {
			t.Fatalf("a payment intent event: %d %s %v", status, body, err)
		}
		piEvents = append(piEvents, e)
	}
	eventually(t, 60*time.Second, func() error {
		for _, pe := range piEvents {
			e, err := st.Event(context.Background(), pe.ID)
			if err == nil && e.Status == paywarden.EventFailed {
				responses = append(responses, e.LastError)
				return nil
			}
		}
		return fmt.Errorf("no event of the tie failed its re-fetch")
	})

	// Metrics and readiness.
	for _, u := range []string{s.Admin + "/metrics", s.URL + "/readyz", s.URL + "/healthz"} {
		resp, err := httpClient.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		responses = append(responses, string(b))
	}

	if code := s.stop(t); code != 0 {
		t.Errorf("serve exited %d", code)
	}
	if c, err := st.CountEvents(context.Background()); err != nil || c[paywarden.EventFailed] < 1 || len(allEvents(t, st)) != 2 {
		t.Errorf("events stored: %v %v; want only the payment intent's two, one failed", c, err)
	}
	out, errOut := s.stdout.String(), s.stderr.String()
	if !strings.Contains(errOut, "webhook refused") {
		t.Errorf("the refusals were not logged at debug level:\n%s", errOut)
	}
	noSecrets(t, "serve's stdout and stderr", []string{out, errOut}, secrets...)
	noSecrets(t, "an answer, the metrics or a stored reason", responses, secrets...)
}

// A database URL whose password cannot connect fails the command without
// printing the password, from the environment or a file.
func TestRedactionDatabaseURL(t *testing.T) {
	dir := t.TempDir()
	password := randAlnum(24)
	url := "postgres://paywarden:" + password + "@127.0.0.1:1/paywarden?sslmode=disable&connect_timeout=5"
	file := filepath.Join(dir, "database_url")
	os.WriteFile(file, []byte(url+"\n"), 0o600)
	env := devEnv(dir, "http://127.0.0.1:1")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"serve, environment", with(env, "PAYWARDEN_DATABASE_URL", url), []string{"serve"}},
		{"serve, file", with(env, "PAYWARDEN_DATABASE_URL", unset, "PAYWARDEN_DATABASE_URL_FILE", file), []string{"serve"}},
		{"serve, unparsable", with(env, "PAYWARDEN_DATABASE_URL", "postgres://paywarden:"+password+"@127.0.0.1:port/db"), []string{"serve"}},
		{"serve, bad option", with(env, "PAYWARDEN_DATABASE_URL", url+"&pool_max_conns=many&password="+password), []string{"serve"}},
		{"migrate", with(env, "PAYWARDEN_DATABASE_URL", url), []string{"migrate"}},
		{"tokens list", with(env, "PAYWARDEN_DATABASE_URL", url), []string{"tokens", "list"}},
		{"events list", with(env, "PAYWARDEN_DATABASE_URL", url), []string{"events", "list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code, started := runCmd(t, tc.env, tc.args...)
			if code == 0 || started || !strings.HasPrefix(errOut[strings.LastIndex(strings.TrimSuffix(errOut, "\n"), "\n")+1:], "paywarden: ") {
				t.Errorf("got exit %d (started %v), want a failure; stderr:\n%s", code, started, errOut)
			}
			t.Logf("exit %d: %s", code, errOut)
			noSecrets(t, "the output", []string{out, errOut}, password, env["STRIPE_SECRET_KEY"], env["STRIPE_WEBHOOK_SECRET"])
		})
	}
}

// Reloads on SIGHUP (a real process: the signal is process-wide) of a key
// file that turns malformed, then to a key Stripe refuses quoting it, then
// to a good key: the two failures keep the old key, and no value of any of
// them is printed.
func TestRedactionReload(t *testing.T) {
	dir := t.TempDir()
	fs := newFakeStripe(t)
	fs.setEcho(true)
	env := devEnv(dir, fs.URL)
	oldKey := env["STRIPE_SECRET_KEY"]
	fs.allowKey(oldKey)
	keyFile := filepath.Join(dir, "stripe_key")
	writeKey := func(v string) {
		// A new file renamed into place, as Kubernetes and editors do.
		tmp := keyFile + ".new"
		if err := os.WriteFile(tmp, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, keyFile); err != nil {
			t.Fatal(err)
		}
	}
	writeKey(oldKey)
	env = with(env, "STRIPE_SECRET_KEY", unset, "STRIPE_SECRET_KEY_FILE", keyFile)
	p := startProc(t, dir, env)

	malformed := "sk_" + "test_" + randAlnum(12) + "#" + randAlnum(20)
	notAKey := "hunter2" + randAlnum(24)
	refused := newTestKey()
	accepted := newTestKey()
	fs.allowKey(accepted)
	reload := func(v, wantLog string, n int) {
		t.Helper()
		writeKey(v)
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		eventually(t, 60*time.Second, func() error {
			if got := strings.Count(p.stderr.String(), wantLog); got < n {
				return fmt.Errorf("%d log lines %q, want %d; stderr:\n%s", got, wantLog, n, p.stderr.String())
			}
			return nil
		})
	}
	reload(malformed, "secret reload failed", 1)
	reload(notAKey, "secret reload failed", 2)
	reload(refused, "failed verification", 1)
	reload(accepted, "stripe key replaced", 1)

	// The webhook receiver still works with its secret.
	e := customerEvent("cus_"+randAlnum(14), 1, time.Now().Unix())
	if status, body, err := postEvent(p.URL, env["STRIPE_WEBHOOK_SECRET"], e.body()); status != 200 || err != nil {
		t.Errorf("an event after the reloads: %d %s %v", status, body, err)
	}
	if err := p.signalAndWait(t, syscall.SIGTERM); err != nil {
		t.Errorf("serve after SIGTERM: %v; stderr:\n%s", err, p.stderr.String())
	}
	noSecrets(t, "serve's stderr", []string{p.stderr.String()},
		oldKey, oldKey[8:], malformed, malformed[8:20], malformed[21:], notAKey, refused, refused[8:], accepted, accepted[8:], env["STRIPE_WEBHOOK_SECRET"])
}

package main

// Issue 2: serve refuses every unsafe configuration with exit code 2 and
// one line on stderr that names the variable, file or flag and never holds
// a secret; each refusal that has an override proceeds with it.

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden/internal/sqlite"
)

// checkRefused checks a refusal: exit 2, one line on stderr holding every
// string of want, and none of the secrets.
func checkRefused(t *testing.T, stdout, stderr string, code int, started bool, want []string, secrets ...string) {
	t.Helper()
	if started || code != 2 {
		t.Fatalf("got exit %d (started %v), want 2; stderr:\n%s", code, started, stderr)
	}
	if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr has %d lines, want one:\n%s", n, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr does not name %q:\n%s", w, stderr)
		}
	}
	for _, s := range secrets {
		if s != "" && (strings.Contains(stderr, s) || strings.Contains(stdout, s)) {
			t.Errorf("the output holds the secret value %q:\n%s%s", s, stdout, stderr)
		}
	}
}

func with(env map[string]string, kv ...string) map[string]string {
	env = maps.Clone(env)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == unset {
			delete(env, kv[i])
			continue
		}
		env[kv[i]] = kv[i+1]
	}
	return env
}

const unset = "\x00unset"

func TestServeRefusals(t *testing.T) {
	dir := t.TempDir()
	base := devEnv(dir, "http://127.0.0.1:1")
	key, whsec := base["STRIPE_SECRET_KEY"], base["STRIPE_WEBHOOK_SECRET"]
	live := newLiveKey()
	shortKey := "sk_" + "test_" + randAlnum(10)
	badCharKey := "sk_" + "test_" + randAlnum(20) + "!" + randAlnum(6)
	publishable := "pk_" + "test_" + randAlnum(32)
	shortWhsec := "whsec_" + randAlnum(8)
	notWhsec := "wh_" + randAlnum(32)
	badCharWhsec := "whsec_" + randAlnum(20) + "-" + randAlnum(8)

	// A production environment that would start but for the one thing a
	// case changes: a live key, TLS ended upstream.
	prod := with(base, "PAYWARDEN_ENV", "production", "STRIPE_SECRET_KEY", live,
		"PAYWARDEN_TLS_TERMINATED_UPSTREAM", "true")

	emptyFile := filepath.Join(dir, "empty")
	os.WriteFile(emptyFile, nil, 0o600)
	openFile := filepath.Join(dir, "stripe_key_0644")
	os.WriteFile(openFile, []byte(live+"\n"), 0o600)
	if err := os.Chmod(openFile, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		secrets []string
	}{
		{"secret key missing", with(base, "STRIPE_SECRET_KEY", unset), nil, []string{"STRIPE_SECRET_KEY"}, []string{whsec}},
		{"secret key empty", with(base, "STRIPE_SECRET_KEY", ""), nil, []string{"STRIPE_SECRET_KEY"}, []string{whsec}},
		{"secret key file empty", with(base, "STRIPE_SECRET_KEY", unset, "STRIPE_SECRET_KEY_FILE", emptyFile), nil, []string{"STRIPE_SECRET_KEY", emptyFile}, nil},
		{"secret key short", with(base, "STRIPE_SECRET_KEY", shortKey), nil, []string{"STRIPE_SECRET_KEY"}, []string{shortKey, whsec}},
		{"secret key bad character", with(base, "STRIPE_SECRET_KEY", badCharKey), nil, []string{"STRIPE_SECRET_KEY"}, []string{badCharKey, badCharKey[8:], whsec}},
		{"publishable key", with(base, "STRIPE_SECRET_KEY", publishable), nil, []string{"STRIPE_SECRET_KEY"}, []string{publishable, publishable[8:]}},
		{"webhook secret missing", with(base, "STRIPE_WEBHOOK_SECRET", unset), nil, []string{"STRIPE_WEBHOOK_SECRET"}, []string{key}},
		{"webhook secret empty", with(base, "STRIPE_WEBHOOK_SECRET", ""), nil, []string{"STRIPE_WEBHOOK_SECRET"}, []string{key}},
		{"webhook secret short", with(base, "STRIPE_WEBHOOK_SECRET", shortWhsec), nil, []string{"STRIPE_WEBHOOK_SECRET"}, []string{shortWhsec, key}},
		{"webhook secret prefix", with(base, "STRIPE_WEBHOOK_SECRET", notWhsec), nil, []string{"STRIPE_WEBHOOK_SECRET"}, []string{notWhsec, notWhsec[3:], key}},
		{"webhook secret bad character", with(base, "STRIPE_WEBHOOK_SECRET", badCharWhsec), nil, []string{"STRIPE_WEBHOOK_SECRET"}, []string{badCharWhsec, badCharWhsec[6:26], key}},
		{"key in a flag", base, []string{"--log-level", key}, []string{"--log-level"}, []string{key, whsec}},
		{"key in an undefined flag", base, []string{"--stripe-secret-key=" + key}, []string{"stripe-secret-key"}, []string{key, whsec}},
		{"webhook secret as an argument", base, []string{whsec}, []string{"STRIPE_SECRET_KEY"}, []string{whsec, key}},
		{"production test key", with(prod, "STRIPE_SECRET_KEY", key), nil, []string{"STRIPE_SECRET_KEY", "PAYWARDEN_ALLOW_MIXED_MODE"}, []string{key, whsec}},
		{"development live key", with(base, "STRIPE_SECRET_KEY", live), nil, []string{"STRIPE_SECRET_KEY", "PAYWARDEN_ALLOW_MIXED_MODE"}, []string{live, whsec}},
		{"production secret file 0644", with(prod, "STRIPE_SECRET_KEY", unset, "STRIPE_SECRET_KEY_FILE", openFile), nil, []string{"STRIPE_SECRET_KEY_FILE", openFile}, []string{live, whsec}},
		{"API version", with(base, "PAYWARDEN_STRIPE_API_VERSION", "2020-08-27"), nil, []string{"PAYWARDEN_STRIPE_API_VERSION"}, []string{key, whsec}},
		{"API version shaped like a key", with(base, "PAYWARDEN_STRIPE_API_VERSION", key), nil, []string{"PAYWARDEN_STRIPE_API_VERSION"}, []string{key, whsec}},
		{"production without TLS", with(prod, "PAYWARDEN_TLS_TERMINATED_UPSTREAM", unset), nil, []string{"PAYWARDEN_TLS_CERT_FILE", "PAYWARDEN_TLS_TERMINATED_UPSTREAM"}, []string{live, whsec}},
		{"production TLS upstream false", with(prod, "PAYWARDEN_TLS_TERMINATED_UPSTREAM", "false"), nil, []string{"PAYWARDEN_TLS_CERT_FILE", "PAYWARDEN_TLS_TERMINATED_UPSTREAM"}, []string{live, whsec}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code, started := runCmd(t, tc.env, append([]string{"serve"}, tc.args...)...)
			checkRefused(t, out, errOut, code, started, tc.want, tc.secrets...)
		})
	}
}

// A config file holding a key, anywhere (a value, a comment), is refused
// naming the file and line, never the value.
func TestServeRefusesKeyInConfigFile(t *testing.T) {
	dir := t.TempDir()
	env := devEnv(dir, "http://127.0.0.1:1")
	key := newTestKey()
	whsec := newWebhookSecret()
	for _, tc := range []struct {
		name, text, line, secret string
	}{
		{"stripe_secret_key", "env = \"development\"\nlog_level = \"info\"\nstripe_secret_key = \"" + key + "\"\n", "line 3", key},
		{"webhook secret", "# the endpoint's secret\nstripe_webhook_secret = \"" + whsec + "\"\n", "line 2", whsec},
		{"in a comment", "addr = \"127.0.0.1:0\"\n\n\n# old key: " + key + "\n", "line 4", key},
		{"in another setting", "log_level = \"info\"\ndatabase_url = \"" + key + "\"\n", "line 2", key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errOut, code, started := runCmd(t, env, "serve", "--config", path)
			checkRefused(t, out, errOut, code, started, []string{path, tc.line}, tc.secret, tc.secret[8:], env["STRIPE_SECRET_KEY"], env["STRIPE_WEBHOOK_SECRET"])
		})
	}

	// A reference in the config file is how a secret is given there.
	keyFile := filepath.Join(dir, "stripe_key")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o600)
	path := filepath.Join(dir, "ok.toml")
	os.WriteFile(path, []byte("log_level = \"warn\"\nstripe_secret_key = \"file:"+keyFile+"\"\n"), 0o600)
	if _, errOut, code, started := runCmd(t, with(env, "STRIPE_SECRET_KEY", unset), "serve", "--config", path); code != 0 || !started {
		t.Errorf("a file: reference in the config file: exit %d (started %v); stderr:\n%s", code, started, errOut)
	}
}

// Each refusal that has an override proceeds with it.
func TestServeMixedModeAllowed(t *testing.T) {
	dir := t.TempDir()
	base := devEnv(dir, "http://127.0.0.1:1")
	prod := with(base, "PAYWARDEN_ENV", "production", "PAYWARDEN_TLS_TERMINATED_UPSTREAM", "true")
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"production test key", prod},
		{"development live key", with(base, "STRIPE_SECRET_KEY", newLiveKey())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := with(tc.env, "PAYWARDEN_ALLOW_MIXED_MODE", "true")
			if tc.name == "production test key" {
				// Production never migrates by itself.
				if _, errOut, code, _ := runCmd(t, env, "migrate"); code != 0 {
					t.Fatalf("migrate: exit %d: %s", code, errOut)
				}
			}
			out, errOut, code, started := runCmd(t, env, "serve")
			if code != 0 || !started {
				t.Fatalf("got exit %d (started %v), want a server; stderr:\n%s", code, started, errOut)
			}
			for _, s := range []string{env["STRIPE_SECRET_KEY"], env["STRIPE_WEBHOOK_SECRET"]} {
				if strings.Contains(out+errOut, s) {
					t.Errorf("the output holds a secret value:\n%s%s", out, errOut)
				}
			}
		})
	}
}

// Production refuses a database with pending migrations and tells the
// operator to migrate; after `paywarden migrate` it serves. Development
// migrates by itself.
func TestServePendingMigrations(t *testing.T) {
	dir := t.TempDir()
	// The key comes from a file only its owner reads, as production wants.
	live := newLiveKey()
	keyFile := filepath.Join(dir, "stripe_key")
	if err := os.WriteFile(keyFile, []byte(live+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := with(devEnv(dir, "http://127.0.0.1:1"), "PAYWARDEN_ENV", "production", "STRIPE_SECRET_KEY", unset,
		"STRIPE_SECRET_KEY_FILE", keyFile, "PAYWARDEN_TLS_TERMINATED_UPSTREAM", "true")
	out, errOut, code, started := runCmd(t, env, "serve")
	// The configuration is sound, so the logger is up and may have warned
	// (plain HTTP) before the refusal: the refusal is the last line.
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	checkRefused(t, out, lines[len(lines)-1]+"\n", code, started, []string{"paywarden migrate"}, live, env["STRIPE_WEBHOOK_SECRET"])
	if strings.Contains(errOut, live) || strings.Contains(errOut, env["STRIPE_WEBHOOK_SECRET"]) {
		t.Errorf("stderr holds a secret:\n%s", errOut)
	}

	out, errOut, code, _ = runCmd(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate: exit %d: %s%s", code, out, errOut)
	}
	if _, errOut, code, started := runCmd(t, env, "serve"); code != 0 || !started {
		t.Fatalf("serve after migrate: exit %d (started %v): %s", code, started, errOut)
	}
	out, _, code, _ = runCmd(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "applied 0") {
		t.Errorf("a second migrate: exit %d: %s", code, out)
	}

	// Development applies them at start.
	dev := devEnv(t.TempDir(), "http://127.0.0.1:1")
	if _, errOut, code, started := runCmd(t, dev, "serve"); code != 0 || !started {
		t.Fatalf("development serve on a new database: exit %d (started %v): %s", code, started, errOut)
	}
	st, err := sqlite.Open(context.Background(), strings.TrimPrefix(dev["PAYWARDEN_DATABASE_URL"], "sqlite:"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.PendingMigrations(context.Background()); err != nil || n != 0 {
		t.Errorf("after a development serve: %d pending migrations (%v), want 0", n, err)
	}
}

// A .env file is read in development only. t.Chdir: the file is ./.env.
func TestDotEnvDevelopmentOnly(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	env := devEnv(dir, "http://127.0.0.1:1")
	key, whsec := env["STRIPE_SECRET_KEY"], env["STRIPE_WEBHOOK_SECRET"]
	dotenv := "STRIPE_SECRET_KEY=" + key + "\nSTRIPE_WEBHOOK_SECRET=" + whsec + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o600); err != nil {
		t.Fatal(err)
	}
	noSecrets := with(env, "STRIPE_SECRET_KEY", unset, "STRIPE_WEBHOOK_SECRET", unset)

	out, errOut, code, started := runCmd(t, noSecrets, "serve")
	if code != 0 || !started {
		t.Fatalf("development with the secrets in .env: exit %d (started %v): %s", code, started, errOut)
	}
	if !strings.Contains(errOut, ".gitignore") {
		t.Errorf("no warning that .env is not ignored by git:\n%s", errOut)
	}
	if strings.Contains(out+errOut, key) || strings.Contains(out+errOut, whsec) {
		t.Errorf("the output holds a secret from .env:\n%s%s", out, errOut)
	}

	prod := with(noSecrets, "PAYWARDEN_ENV", "production", "PAYWARDEN_TLS_TERMINATED_UPSTREAM", "true")
	out, errOut, code, started = runCmd(t, prod, "serve")
	checkRefused(t, out, errOut, code, started, []string{"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"}, key, whsec)

	// PAYWARDEN_ENV in .env does not make production read it.
	os.WriteFile(filepath.Join(dir, ".env"), []byte("PAYWARDEN_ENV=development\n"+dotenv), 0o600)
	out, errOut, code, started = runCmd(t, with(prod, "PAYWARDEN_ENV", unset), "serve")
	checkRefused(t, out, errOut, code, started, []string{"STRIPE_SECRET_KEY"}, key, whsec)
}

// version, --help of every command, and an unknown command.
func TestCommandLine(t *testing.T) {
	out, errOut, code, _ := runCmd(t, nil, "version")
	if code != 0 {
		t.Fatalf("version: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"paywarden ", "commit: ", "go: go1.", "stripe api version: " + stripe.APIVersion} {
		if !strings.Contains(out, want) {
			t.Errorf("version: got %q, want it to hold %q", out, want)
		}
	}

	out, _, code, _ = runCmd(t, nil, "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	cmds := commandsOf(out)
	if len(cmds) < 5 {
		t.Fatalf("--help lists %v; want the commands", cmds)
	}
	dir := t.TempDir()
	env := map[string]string{"PAYWARDEN_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db")}
	for _, c := range cmds {
		for _, h := range []string{"--help", "-h"} {
			out, errOut, code, started := runCmd(t, env, c, h)
			if code != 0 || started || out == "" {
				t.Errorf("%s %s: exit %d (started %v), stdout %q, stderr %q; want exit 0 and help on stdout", c, h, code, started, out, errOut)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "db")); err == nil {
		t.Error("--help opened the database")
	}

	for _, args := range [][]string{{"frobnicate"}, {}, {"serve", "--no-such-flag"}} {
		_, errOut, code, started := runCmd(t, env, args...)
		if code != 2 || started || errOut == "" {
			t.Errorf("paywarden %v: exit %d (started %v), stderr %q; want 2 and a message", args, code, started, errOut)
		}
	}
}

// commandsOf returns the commands that the usage text lists.
func commandsOf(usage string) []string {
	_, list, ok := strings.Cut(usage, "Commands:\n")
	if !ok {
		return nil
	}
	var cmds []string
	for _, line := range strings.Split(list, "\n") {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		if f := strings.Fields(line); len(f) > 0 {
			cmds = append(cmds, f[0])
		}
	}
	return cmds
}

// TestServeRefusesReadableDatabase: production will not serve a SQLite
// file its group or others may read (issue 13, finding 7); one line names
// the file.
func TestServeRefusesReadableDatabase(t *testing.T) {
	dir := t.TempDir()
	live := newLiveKey()
	env := with(devEnv(dir, "http://127.0.0.1:1"), "PAYWARDEN_ENV", "production", "STRIPE_SECRET_KEY", live,
		"PAYWARDEN_TLS_TERMINATED_UPSTREAM", "true")
	if _, errOut, code, _ := runCmd(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	path := filepath.Join(dir, "paywarden.db")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("migrate created the database with mode %04o, want 0600", perm)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code, started := runCmd(t, env, "serve")
	checkRefused(t, out, errOut, code, started, []string{path, "chmod 600"}, live, env["STRIPE_WEBHOOK_SECRET"])
}

// TestKeyShapedInputNeverEchoed: wherever paywarden quotes a user's input
// back (a reference to a variable, an unknown command, an event id, a
// file path, a config path), a value shaped like a key is scrubbed from
// every line it writes (issue 13, finding 1).
func TestKeyShapedInputNeverEchoed(t *testing.T) {
	dir := t.TempDir()
	base := devEnv(dir, "http://127.0.0.1:1")
	live := newLiveKey()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"env reference named by a key", with(base, "STRIPE_SECRET_KEY", "env:"+live), []string{"serve"}},
		{"vault reference", with(base, "STRIPE_SECRET_KEY", "vault:secret/"+live+"#key"), []string{"serve"}},
		{"file reference", with(base, "STRIPE_SECRET_KEY", "file:/nonexistent/"+live), []string{"serve"}},
		{"_FILE path", with(base, "STRIPE_SECRET_KEY", unset, "STRIPE_SECRET_KEY_FILE", "/nonexistent/"+live), []string{"serve"}},
		{"address", with(base, "PAYWARDEN_ADDR", live+":1"), []string{"serve"}},
		{"config path", base, []string{"serve", "--config", "/nonexistent/" + live + ".toml"}},
		{"unknown command", base, []string{live}},
		{"unknown flag", base, []string{"events", "list", "--" + live}},
		{"event id", base, []string{"events", "show", live}},
		{"token name", base, []string{"tokens", "create", "--name", live, "--scope", "admin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code, _ := runCmd(t, tc.env, tc.args...)
			if code == 0 {
				t.Errorf("exit 0, want a refusal")
			}
			if strings.Contains(out+errOut, live[8:]) {
				t.Errorf("the key got through:\nstdout: %s\nstderr: %s", out, errOut)
			}
		})
	}
}

// TestDatabasePasswordFlagRefused: a database URL with a password given as
// a flag is refused, as keys are, and the password is never printed
// (issue 13, finding 2).
func TestDatabasePasswordFlagRefused(t *testing.T) {
	dir := t.TempDir()
	env := devEnv(dir, "http://127.0.0.1:1")
	password := randAlnum(20)
	for _, args := range [][]string{
		{"serve", "--database-url", "postgres://paywarden:" + password + "@127.0.0.1:1/pw"},
		{"events", "list", "--database-url", "postgres://paywarden:" + password + "@127.0.0.1:1/pw"},
		{"migrate", "--database-url=postgres://127.0.0.1:1/pw?password=" + password},
	} {
		out, errOut, code, started := runCmd(t, env, args...)
		checkRefused(t, out, errOut, code, started, []string{"--database-url", "PAYWARDEN_DATABASE_URL_FILE"}, password)
	}
	// Without a password the flag is fine.
	if _, errOut, code, _ := runCmd(t, env, "migrate", "--database-url", "sqlite:"+filepath.Join(dir, "flag.db")); code != 0 {
		t.Errorf("migrate --database-url sqlite:...: exit %d: %s", code, errOut)
	}
}

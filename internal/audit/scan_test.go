package audit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeLive builds a fake live key at run time: no key-shaped literal sits
// outside testdata.
func fakeLive(tail string) string {
	return "sk_" + "live_" + "FAKE" + tail + strings.Repeat("x9Q", 8)[:24-len(tail)]
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
}

func summarize(rep *Report) []string {
	var out []string
	for _, f := range rep.Findings {
		s := f.Path + " " + f.RuleID
		if f.Commit != "" {
			s += " @" + f.Commit[:7]
		}
		out = append(out, s)
	}
	return out
}

// TestGitWorkTree checks that a work tree is listed by git: ignored files
// are skipped unless tracked, and .env files are reported when tracked or
// not ignored.
func TestGitWorkTree(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		".gitignore":             ".env\nignored/\n",
		".env":                   "STRIPE_SECRET_KEY=changeme-but-real-looking-value\n",
		"deploy/.env.production": "STRIPE_SECRET_KEY=prod-secret-value-1234\n",
		"local.env":              "API_TOKEN=abcdefgh12345678\n",
		"ignored/secret.yaml":    "key: " + fakeLive("a1") + "\n",
		"ignored/kept.yaml":      "key: " + fakeLive("b2") + "\n",
	})
	outside := filepath.Join(t.TempDir(), "outside.yaml")
	os.WriteFile(outside, []byte("key: "+fakeLive("h8")+"\n"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", ".gitignore", "link.yaml") // a tracked link out of the tree is not followed
	git(t, dir, "add", "-f", "deploy/.env.production", "ignored/kept.yaml")
	git(t, dir, "commit", "-q", "-m", "init")
	rep, err := Scan(context.Background(), Options{Paths: []string{dir}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, strings.TrimPrefix(f.Path, filepath.ToSlash(dir)+"/")+" "+f.RuleID+" "+f.Message)
	}
	want := []string{
		"deploy/.env.production secret-env-file Environment file is committed to git and sets STRIPE_SECRET_KEY",
		"ignored/kept.yaml secret-live-key Stripe live secret key " + redact("sk_live_", fakeLive("b2")).String() + " in a file",
		"local.env secret-env-file Environment file is not covered by .gitignore and sets API_TOKEN",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
}

// TestIgnoredRoot: a root that git ignores (a build or benchmark folder
// inside a repository) is walked, not reported as empty.
func TestIgnoredRoot(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{".gitignore": "/var/\n", "var/corpus/a.yaml": "key: " + fakeLive("g7") + "\n"})
	rep, err := Scan(context.Background(), Options{Paths: []string{filepath.Join(dir, "var", "corpus")}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Files != 1 || len(rep.Findings) != 1 {
		t.Errorf("got %d files and %v, want 1 file and its key", rep.Summary.Files, summarize(rep))
	}
}

// TestHistory checks that a key removed from the work tree is still found
// in history, once, with the commit that added it, and that a key still
// present is reported at its current place with its first commit.
func TestHistory(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{"app/config.yaml": "key: " + fakeLive("c3") + "\n", "keep.md": "key " + fakeLive("d4") + "\n"})
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "add keys")
	first := git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"app/config.yaml": "key: from the environment\n", "keep.md": "moved\n\nkey " + fakeLive("d4") + "\n"})
	git(t, dir, "commit", "-q", "-am", "remove one key")
	// The same old blob again in a later commit adds nothing new.
	writeFiles(t, dir, map[string]string{"copy.yaml": "key: " + fakeLive("c3") + "\n"})
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "copy")

	rep, err := Scan(context.Background(), Options{Paths: []string{dir}, History: true, Rules: mustRules(t, "secrets"), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Summary.Incomplete) > 0 {
		t.Fatalf("incomplete: %v", rep.Summary.Incomplete)
	}
	p := filepath.ToSlash(dir) + "/"
	want := []string{
		p + "app/config.yaml secret-live-key @" + first[:7],
		p + "copy.yaml secret-live-key @" + first[:7], // the same key, first added elsewhere
		p + "keep.md secret-live-key @" + first[:7],
	}
	if diff := cmp.Diff(want, summarize(rep)); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
	for _, f := range rep.Findings {
		if strings.HasSuffix(f.Path, "config.yaml") && !strings.HasPrefix(f.Message, "In git history") {
			t.Errorf("got message %q, want it to say the key is in history", f.Message)
		}
	}
}

func mustRules(t *testing.T, list string) RuleSet {
	t.Helper()
	rs, err := ParseRules(list)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestHistoryNeedsGit: asking for history outside git leaves the scan
// incomplete rather than silently clean.
func TestHistoryNeedsGit(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "hello\n"})
	rep, err := Scan(context.Background(), Options{Paths: []string{dir}, History: true, walkOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Summary.Incomplete) != 1 {
		t.Errorf("got incomplete %v, want one problem", rep.Summary.Incomplete)
	}
}

// TestWalkGitignore checks .gitignore handling outside git: nested files,
// negation, folder patterns and --exclude.
func TestWalkGitignore(t *testing.T) {
	dir := t.TempDir()
	key := "key: " + fakeLive("e5") + "\n"
	writeFiles(t, dir, map[string]string{
		".gitignore":         "*.log\nbuild/\n!keep.log\n",
		"sub/.gitignore":     "local/\n/only-here.yaml\n",
		"a.log":              key,
		"keep.log":           key,
		"build/x.yaml":       key,
		"sub/local/x.yaml":   key,
		"sub/only-here.yaml": key,
		"only-here.yaml":     key,
		"vendor/x.yaml":      key,
		"node_modules/x.js":  key,
		"docs/x.md":          key,
	})
	rep, err := Scan(context.Background(), Options{Paths: []string{dir}, Exclude: []string{"vendor/"}, walkOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.ToSlash(dir) + "/"
	want := []string{p + "docs/x.md secret-live-key", p + "keep.log secret-live-key", p + "only-here.yaml secret-live-key"}
	if diff := cmp.Diff(want, summarize(rep)); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
}

// TestHostileFiles: binary files, minified JavaScript, Python 2 and
// truncated files must not crash the scan or hide the other files.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	key := fakeLive("f6")
	minified := strings.Repeat(`var a=/[/"']+/g,b='it\'s',c="x/*y",d=`+"`t${e}`"+`;if(a/2>1){x()}`, 20000)
	writeFiles(t, dir, map[string]string{
		"bin.dat":          "\x00\x01\x02" + key + "\x00",
		"image.png":        key,
		"app.min.js":       minified + "stripe.webhooks.constructEvent(" + strings.Repeat("(", 5000),
		"legacy.py":        "import stripe\nprint 'unterminated\nexcept Exception, e:\n\tstripe.Charge.create(\n'''",
		"truncated.go":     "package x\nimport \"github.com/stripe/stripe-go/v85\"\nvar s = `never closed\n" + key,
		"webhook.py":       "import stripe\n" + strings.Repeat("    ", 500) + "try:\nexcept",
		"requirements.txt": "stripe==\n==1.0\n[\n-i\n",
		"package.json":     "{\"dependencies\": [1,2,3]}",
		"go.mod":           "require (\nreplace =>\n",
		"ok.yaml":          "key: " + key + "\n",
	})
	if err := syscallMkfifo(filepath.Join(dir, "pipe.yaml")); err != nil {
		t.Logf("no FIFO: %v", err)
	}
	os.Symlink("/etc/passwd", filepath.Join(dir, "outside.txt"))
	rep, err := Scan(context.Background(), Options{Paths: []string{dir}, walkOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Skipped != 2 {
		t.Errorf("got %d skipped files, want 2 (bin.dat, image.png)", rep.Summary.Skipped)
	}
	found := map[string]bool{}
	for _, f := range rep.Findings {
		found[filepath.Base(f.Path)] = true
	}
	if !found["ok.yaml"] || !found["truncated.go"] {
		t.Errorf("got findings in %v, want ok.yaml and truncated.go among them", found)
	}
}

// TestRulesFilterKeepsSecrets: with only the secrets rules enabled, a
// webhook secret in code is still reported, under the secrets family.
func TestRulesFilterKeepsSecrets(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"hook.py": "endpoint_secret = 'whsec_" + "FAKE" + strings.Repeat("a1B2", 7) + "'\n"})
	for _, tc := range []struct{ rules, want string }{
		{"secrets", "secret-webhook-signing"},
		{"", "webhook-secret-hardcoded"},
		{"webhooks", "webhook-secret-hardcoded"},
	} {
		rep, err := Scan(context.Background(), Options{Paths: []string{dir}, Rules: mustRules(t, tc.rules), walkOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Findings) != 1 || rep.Findings[0].RuleID != tc.want {
			t.Errorf("--rules %q: got %v, want one %s", tc.rules, summarize(rep), tc.want)
		}
	}
}

package audit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testNow is the clock of every fixture test, so that "more than two years
// old" means the same thing on every run.
var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// wantRe finds expectations in fixture files, in the manner of
// golang.org/x/tools/go/analysis/analysistest: a comment on the line of
// the finding, `// want "RULE"` or `# want "RULE"`, with one quoted rule id
// per expected finding.
var wantRe = regexp.MustCompile(`\bwant((?:\s+"[a-z0-9-]+")+)`)

var quotedRe = regexp.MustCompile(`"([a-z0-9-]+)"`)

// collectWants reads the expectations of a fixture tree: want comments in
// its files plus a WANT file, for formats without comments, of lines
// "path:line rule".
func collectWants(t *testing.T, dir string) []string {
	t.Helper()
	var wants []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Base(rel) == "WANT" {
			dirPrefix := ""
			if d := filepath.ToSlash(filepath.Dir(rel)); d != "." {
				dirPrefix = d + "/"
			}
			sc := bufio.NewScanner(strings.NewReader(string(data)))
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				f := strings.Fields(line)
				wants = append(wants, dirPrefix+f[0]+" "+f[1])
			}
			return nil
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range wantRe.FindAllStringSubmatch(line, -1) {
				for _, q := range quotedRe.FindAllStringSubmatch(m[1], -1) {
					wants = append(wants, fmt.Sprintf("%s:%d %s", rel, i+1, q[1]))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(wants)
	return wants
}

// scanFixture scans one fixture tree as a plain folder: fixtures live in
// this repository's git work tree, but must behave the same in a fresh
// clone and before they are committed.
func scanFixture(t *testing.T, dir string, opts Options) *Report {
	t.Helper()
	opts.Paths = []string{dir}
	opts.Now = testNow
	opts.walkOnly = true
	rep, err := Scan(context.Background(), opts)
	if err != nil {
		t.Fatalf("Scan(%s): %v", dir, err)
	}
	if len(rep.Summary.Incomplete) > 0 {
		t.Errorf("Scan(%s): incomplete: %v", dir, rep.Summary.Incomplete)
	}
	return rep
}

// TestRuleFixtures scans every tree under testdata/rules/FAMILY/CASE and
// compares the findings with the fixtures' want comments: every expected
// finding must be reported, and nothing else.
func TestRuleFixtures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "rules", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixtures found")
	}
	for _, dir := range dirs {
		name, _ := filepath.Rel(filepath.Join("testdata", "rules"), dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			rep := scanFixture(t, dir, Options{Advisories: testAdvisories(t)})
			var got []string
			prefix := filepath.ToSlash(dir) + "/"
			for _, f := range rep.Findings {
				got = append(got, fmt.Sprintf("%s:%d %s", strings.TrimPrefix(f.Path, prefix), f.Line, f.RuleID))
			}
			sort.Strings(got)
			want := collectWants(t, dir)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
				for _, f := range rep.Findings {
					t.Logf("%s:%d:%d %s %s", f.Path, f.Line, f.Column, f.RuleID, f.Message)
				}
			}
		})
	}
}

// TestNoSecretInOutput checks that no format ever prints a whole secret.
func TestNoSecretInOutput(t *testing.T) {
	dir := filepath.Join("testdata", "rules", "secrets", "basic")
	rep := scanFixture(t, dir, Options{})
	var secrets []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			for _, h := range findSecrets(data) {
				secrets = append(secrets, h.value)
			}
		}
		return nil
	})
	if len(secrets) < 10 {
		t.Fatalf("got %d secrets in the fixture, want at least 10", len(secrets))
	}
	for _, format := range []string{"text", "json", "sarif"} {
		var b strings.Builder
		switch format {
		case "text":
			WriteText(&b, rep, false)
		case "json":
			WriteJSON(&b, rep)
		case "sarif":
			WriteSARIF(&b, rep, "test")
		}
		for _, s := range secrets {
			if strings.Contains(b.String(), s) {
				t.Errorf("%s output contains the secret %s…", format, s[:8])
			}
			if strings.Contains(b.String(), s[len(s)-12:]) {
				t.Errorf("%s output contains 12 characters of the secret %s…", format, s[:8])
			}
		}
	}
}

package audit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// compareGolden compares got with the golden file name, or rewrites it
// under -update, as pkgsite's testhelper.CompareWithGolden does.
func compareGolden(t *testing.T, got []byte, name string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got), run go test -update if the change is right:\n%s", name, diff)
	}
}

func TestGoldenFormats(t *testing.T) {
	rep := scanFixture(t, filepath.Join("testdata", "golden", "sample"), Options{Advisories: testAdvisories(t)})
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"sample.txt", func(b *bytes.Buffer) error { return WriteText(b, rep, false) }},
		{"sample.color.txt", func(b *bytes.Buffer) error { return WriteText(b, rep, true) }},
		{"sample.json", func(b *bytes.Buffer) error { return WriteJSON(b, rep) }},
		{"sample.sarif", func(b *bytes.Buffer) error { return WriteSARIF(b, rep, "test") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, b.Bytes(), tc.name)
		})
	}
}

// TestSARIFSchema checks the SARIF output against the SARIF 2.1.0 schema.
func TestSARIFSchema(t *testing.T) {
	for _, dir := range []string{filepath.Join("testdata", "golden", "sample"), filepath.Join("testdata", "rules", "secrets", "basic")} {
		rep := scanFixture(t, dir, Options{})
		var b bytes.Buffer
		if err := WriteSARIF(&b, rep, "test"); err != nil {
			t.Fatal(err)
		}
		log, err := sarif.FromBytes(b.Bytes())
		if err != nil {
			t.Fatalf("parse SARIF: %v", err)
		}
		if err := log.Validate(); err != nil {
			t.Errorf("SARIF for %s does not pass the schema: %v", dir, err)
		}
		if got, want := len(log.Runs[0].Results), len(rep.Findings); got != want {
			t.Errorf("got %d SARIF results, want %d", got, want)
		}
	}
}

// TestDeterministic scans the same tree twice with different worker
// counts and expects byte-identical JSON.
func TestDeterministic(t *testing.T) {
	dir := filepath.Join("testdata", "rules", "secrets", "basic")
	var outs [2]bytes.Buffer
	for i, workers := range []int{1, 4} {
		rep := scanFixture(t, dir, Options{Workers: workers})
		if err := WriteJSON(&outs[i], rep); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(outs[0].String(), outs[1].String()); diff != "" {
		t.Errorf("output depends on worker count (-1 worker +4 workers):\n%s", diff)
	}
}

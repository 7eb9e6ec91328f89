package audit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sharedData is the repository's neighbour folder of real advisory
// snapshots; tests that need it skip when it is absent.
var sharedData = filepath.Join("..", "..", "..", "shared", "data")

func needShared(t *testing.T, sub string) string {
	t.Helper()
	p := filepath.Join(sharedData, sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not present: %v", p, err)
	}
	return p
}

func ids(advs []Advisory) []string {
	var out []string
	for _, a := range advs {
		out = append(out, a.ID)
	}
	return out
}

// TestAdvisoryFolders loads the real Go (JSON) and PyPI (YAML) snapshots
// through --advisory-db and checks known answers.
func TestAdvisoryFolders(t *testing.T) {
	for _, tc := range []struct {
		dir, eco, name, version string
		want                    []string
	}{
		{"advisories/go", "Go", "github.com/gin-gonic/gin", "1.5.0", []string{"GO-2020-0001", "GO-2021-0052", "GO-2023-1737"}},
		{"advisories/go", "Go", "github.com/gin-gonic/gin", "v1.9.1", nil},
		{"advisories/pypi", "PyPI", "aiohttp", "3.7.3", []string{"PYSEC-2021-76", "PYSEC-2023-120", "PYSEC-2023-246", "PYSEC-2023-247", "PYSEC-2023-250", "PYSEC-2023-251", "PYSEC-2024-24", "PYSEC-2024-26"}},
		{"advisories/pypi", "PyPI", "AIOHTTP", "3.7.4", []string{"PYSEC-2023-120", "PYSEC-2023-246", "PYSEC-2023-247", "PYSEC-2023-250", "PYSEC-2023-251", "PYSEC-2024-24", "PYSEC-2024-26"}},
	} {
		t.Run(tc.name+"@"+tc.version, func(t *testing.T) {
			db, err := LoadAdvisories(needShared(t, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.Affecting(context.Background(), tc.eco, tc.name, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("Affecting(%s %s %s) mismatch (-want +got):\n%s", tc.eco, tc.name, tc.version, diff)
			}
		})
	}
}

// TestEmbeddedMatchesFolders checks that the embedded snapshot answers as
// the folders it was built from do.
func TestEmbeddedMatchesFolders(t *testing.T) {
	pypi := needShared(t, "advisories/pypi")
	folder, err := LoadAdvisories(pypi)
	if err != nil {
		t.Fatal(err)
	}
	emb := testAdvisories(t)
	for _, q := range [][3]string{{"PyPI", "django", "3.2.0"}, {"PyPI", "pyyaml", "5.3"}, {"PyPI", "urllib3", "1.26.4"}, {"PyPI", "jinja2", "2.10"}} {
		a, _ := folder.Affecting(context.Background(), q[0], q[1], q[2])
		b, _ := emb.Affecting(context.Background(), q[0], q[1], q[2])
		if diff := cmp.Diff(ids(a), ids(b)); diff != "" {
			t.Errorf("%v: folder and embedded snapshot differ (-folder +embedded):\n%s", q, diff)
		}
		if len(a) == 0 {
			t.Errorf("%v: got no advisories, want some", q)
		}
	}
}

func TestLoadAdvisoriesErrors(t *testing.T) {
	if _, err := LoadAdvisories(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadAdvisories(missing folder): got nil error")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{not json"), 0o644)
	db, err := LoadAdvisories(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Affecting(context.Background(), "PyPI", "x", "1"); err == nil {
		t.Error("Affecting on a folder with a broken record: got nil error, want one (the scan must not look clean)")
	}
}

// TestOnline checks that --online merges the service's answers and falls
// back to the offline database when the service fails.
func TestOnline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"vulns":[{"id":"OSV-ONLINE-1","summary":"found online","affected":[]}]}`))
	}))
	defer srv.Close()
	offline := testAdvisories(t)
	var warned []error
	adv := WithOnline(offline, srv.URL, func(err error) { warned = append(warned, err) })
	got, err := adv.Affecting(context.Background(), "PyPI", "pyyaml", "5.3")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"OSV-ONLINE-1", "PYSEC-2020-96", "PYSEC-2021-142"}, ids(got)); diff != "" {
		t.Errorf("online merge mismatch (-want +got):\n%s", diff)
	}
	down := WithOnline(offline, srv.URL+"/nothing-here", func(err error) { warned = append(warned, err) })
	got, err = down.Affecting(context.Background(), "PyPI", "pyyaml", "5.3")
	if err != nil || len(got) != 2 || len(warned) != 1 {
		t.Errorf("with the service down: got %v, %v, %d warnings; want the 2 offline advisories and 1 warning", ids(got), err, len(warned))
	}
}

func TestInRange(t *testing.T) {
	ev := func(pairs ...string) []osvEvent {
		var out []osvEvent
		for i := 0; i < len(pairs); i += 2 {
			switch pairs[i] {
			case "i":
				out = append(out, osvEvent{Introduced: pairs[i+1]})
			case "f":
				out = append(out, osvEvent{Fixed: pairs[i+1]})
			case "l":
				out = append(out, osvEvent{LastAffected: pairs[i+1]})
			}
		}
		return out
	}
	for _, tc := range []struct {
		eco     string
		events  []osvEvent
		version string
		want    bool
	}{
		{"PyPI", ev("i", "0", "f", "1.0"), "0.9", true},
		{"PyPI", ev("i", "0", "f", "1.0"), "1.0", false},
		{"PyPI", ev("i", "0", "f", "1.0", "i", "2.0", "f", "2.5"), "0.5", true},
		{"PyPI", ev("i", "0", "f", "1.0", "i", "2.0", "f", "2.5"), "1.5", false},
		{"PyPI", ev("i", "0", "f", "1.0", "i", "2.0", "f", "2.5"), "2.4", true},
		{"PyPI", ev("i", "2.0", "l", "2.3"), "2.3", true},
		{"PyPI", ev("i", "2.0", "l", "2.3"), "2.3.1", false},
		{"PyPI", ev("i", "2.0"), "9.0", true},
		{"PyPI", ev("i", "1.0", "f", "1.0.1"), "1.0rc1", false},
		{"Go", ev("i", "0", "f", "1.6.0"), "1.6.0-rc.1", true},
		{"Go", ev("i", "0", "f", "1.6.0"), "v1.5.0", true},
	} {
		if got := inRange(tc.eco, tc.events, tc.version); got != tc.want {
			t.Errorf("inRange(%s, %+v, %s): got %v, want %v", tc.eco, tc.events, tc.version, got, tc.want)
		}
	}
}

package storetest

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// TestMigrationNumbering checks that both dialects have the same migration
// files, numbered from 0001 without gaps, so that a schema version means
// the same thing on SQLite and PostgreSQL.
func TestMigrationNumbering(t *testing.T) {
	names := map[string][]string{}
	for _, dir := range []string{"../sqlite/migrations", "../postgres/migrations"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range entries { // sorted by name
			m := migrationName.FindStringSubmatch(e.Name())
			if m == nil {
				t.Errorf("%s/%s: want a name like 0001_description.sql", dir, e.Name())
				continue
			}
			if want := fmt.Sprintf("%04d", i+1); m[1] != want {
				t.Errorf("%s/%s: got number %s, want %s (no gaps, no duplicates)", dir, e.Name(), m[1], want)
			}
			names[dir] = append(names[dir], e.Name())
		}
		if len(names[dir]) == 0 {
			t.Errorf("%s: no migrations", dir)
		}
	}
	if diff := cmp.Diff(names["../sqlite/migrations"], names["../postgres/migrations"]); diff != "" {
		t.Errorf("migration files differ (-sqlite +postgres):\n%s", diff)
	}
}

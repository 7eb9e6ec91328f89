package migration

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	ms, err := Load(fstest.MapFS{"m/0002_b.sql": file, "m/0001_a.sql": file, "m/README": file}, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "0001_a.sql" || ms[1].Version != 2 {
		t.Errorf("got %+v, want 0001_a.sql then 0002_b.sql", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": file, "m/0003_c.sql": file},
		"duplicate": {"m/0001_a.sql": file, "m/0001_b.sql": file},
		"no number": {"m/init.sql": file},
		"from 2":    {"m/0002_b.sql": file},
	} {
		if _, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: loaded, want an error", name)
		}
	}
}

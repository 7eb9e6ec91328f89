package migration

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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

func TestApplyAndPending(t *testing.T) {
	ms := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 3, Name: "0003_c.sql"}}
	if got := Pending(ms, []int{1, 3}); got != 1 {
		t.Errorf("Pending with 1 and 3 applied: got %d, want 1", got)
	}
	done := map[int]bool{1: true}
	var called []int
	n, err := Apply(context.Background(), slog.New(slog.DiscardHandler), ms, func(_ context.Context, m Migration) (bool, error) {
		called = append(called, m.Version)
		if m.Version == 3 {
			return false, errors.New("boom")
		}
		if done[m.Version] {
			return false, nil
		}
		done[m.Version] = true
		return true, nil
	})
	if n != 1 || err == nil {
		t.Errorf("Apply: got %d, %v; want 1 applied, then the error", n, err)
	}
	if want := []int{1, 2, 3}; !slices.Equal(called, want) {
		t.Errorf("Apply called for %v, want %v in order", called, want)
	}
}

// Package migration reads the numbered SQL migrations that each store
// embeds. The stores apply them in their own dialect and bookkeeping; this
// package only makes sure both read them the same way.
package migration

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one NNNN_description.sql file.
type Migration struct {
	Version int
	Name    string // the file name
	SQL     string
}

// Load returns the migrations in dir of fsys in order. Their numbers must
// start at 1 and have no gaps or duplicates.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d (no gaps, no duplicates)", m.Name, i+1)
		}
	}
	return ms, nil
}

// Apply calls apply for each of ms in order; apply applies one migration
// unless it is applied already, and says whether it did. Apply logs each
// migration applied and returns how many there were, stopping at the first
// error.
func Apply(ctx context.Context, logger *slog.Logger, ms []Migration, apply func(context.Context, Migration) (applied bool, err error)) (n int, err error) {
	for _, m := range ms {
		applied, err := apply(ctx, m)
		if err != nil {
			return n, err
		}
		if applied {
			logger.InfoContext(ctx, "applied migration", "migration", m.Name)
			n++
		}
	}
	return n, nil
}

// Pending returns how many of ms are not among the applied versions.
func Pending(ms []Migration, applied []int) int {
	n := 0
	for _, m := range ms {
		if !slices.Contains(applied, m.Version) {
			n++
		}
	}
	return n
}

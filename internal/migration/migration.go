// Package migration reads the numbered SQL migrations that each store
// embeds. The stores apply them in their own dialect and bookkeeping; this
// package only makes sure both read them the same way.
package migration

import (
	"fmt"
	"io/fs"
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

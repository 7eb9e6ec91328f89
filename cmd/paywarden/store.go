package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/sqlite"
)

// openStore opens the database named by a PAYWARDEN_DATABASE_URL value:
// sqlite:PATH or postgres://... (postgresql:// too). With existing, a
// SQLite file that does not exist is not created: the command says so.
func openStore(ctx context.Context, url string, logger *slog.Logger, existing bool) (paywarden.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := sqlitePath(url)
		if path == "" {
			return nil, configError(fmt.Errorf("PAYWARDEN_DATABASE_URL: sqlite: needs a path, as in sqlite:paywarden.db"))
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if existing {
				return nil, configError(fmt.Errorf("no database at %s (PAYWARDEN_DATABASE_URL or --database-url): "+
					"run 'paywarden migrate' to create it, or point --database-url at the one serve uses", path))
			}
		}
		// sqlite.Open creates a new file 0600 (its directory 0700).
		return sqlite.Open(ctx, path, logger)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url, logger)
	}
	return nil, configError(fmt.Errorf("PAYWARDEN_DATABASE_URL: want sqlite:PATH or postgres://..., got a value of another scheme"))
}

// sqlitePath returns the file of a sqlite: URL, "" for another scheme.
func sqlitePath(url string) string {
	p, ok := strings.CutPrefix(url, "sqlite:")
	if !ok {
		return ""
	}
	return strings.TrimPrefix(p, "//")
}

// checkPrivateDatabase refuses, in production, a SQLite database file that
// its group or others may read: it holds token hashes, customer data and
// stored API answers.
func checkPrivateDatabase(s *setup) error {
	path := sqlitePath(s.cfg.DatabaseURL.Reveal())
	if !s.cfg.Production() || path == "" {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil // opening the store says there is none
	}
	return configError(sqlite.CheckPrivate(path))
}

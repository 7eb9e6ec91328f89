package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/sqlite"
)

// openStore opens the database named by a PAYWARDEN_DATABASE_URL value:
// sqlite:PATH or postgres://... (postgresql:// too).
func openStore(ctx context.Context, url string, logger *slog.Logger) (paywarden.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if path == "" {
			return nil, configError(fmt.Errorf("PAYWARDEN_DATABASE_URL: sqlite: needs a path, as in sqlite:paywarden.db"))
		}
		return sqlite.Open(ctx, path, logger)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url, logger)
	}
	return nil, configError(fmt.Errorf("PAYWARDEN_DATABASE_URL: want sqlite:PATH or postgres://..., got a value of another scheme"))
}

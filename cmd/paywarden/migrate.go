package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/paywarden/paywarden/internal/config"
)

func init() {
	commands["migrate"] = command{summary: "apply database migrations", run: runMigrate}
}

func runMigrate(ctx context.Context, e *env) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	s, err := loadConfig(ctx, e, fs, config.WithoutSecrets())
	if err != nil {
		return err
	}
	st, err := openStore(ctx, s.cfg.DatabaseURL.Reveal(), s.log)
	if err != nil {
		return s.safe(err)
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return s.safe(err)
	}
	fmt.Fprintf(e.stdout, "applied %d migration(s); the database is current\n", n)
	return nil
}

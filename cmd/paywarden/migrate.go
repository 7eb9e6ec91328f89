package main

import (
	"context"
	"fmt"

	"github.com/paywarden/paywarden/internal/config"
)

func init() {
	commands["migrate"] = command{summary: "apply database migrations", run: runMigrate}
}

func runMigrate(ctx context.Context, e *env) error {
	c := newCmdline("migrate", "create the database if need be and apply pending migrations; serve in production refuses to start without it").
		example("paywarden migrate --database-url sqlite:/var/lib/paywarden/paywarden.db",
			"PAYWARDEN_DATABASE_URL_FILE=/run/secrets/database_url paywarden migrate")
	c.database()
	if err := c.parse(e); err != nil {
		return err
	}
	s, err := c.load(ctx, e, config.WithoutSecrets())
	if err != nil {
		return err
	}
	st, err := openStore(ctx, s.cfg.DatabaseURL.Reveal(), s.log, false)
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

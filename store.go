package paywarden

import "context"

// Store is everything paywarden keeps: implemented by internal/sqlite and
// internal/postgres, which pass the same conformance suite
// (internal/storetest).
type Store interface {
	EventStore
	MirrorStore
	MirrorHistoryStore
	TokenStore
	IdempotencyStore
	KeyStore
	SessionStore
	EventQueryStore

	// Migrate applies pending migrations and returns how many it applied.
	// On PostgreSQL it holds an advisory lock, so replicas may call it at once.
	Migrate(ctx context.Context) (int, error)
	// PendingMigrations returns how many migrations are not applied yet.
	PendingMigrations(ctx context.Context) (int, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

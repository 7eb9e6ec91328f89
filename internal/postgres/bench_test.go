package postgres_test

import (
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
	"github.com/paywarden/paywarden/internal/storetest"
)

// BenchmarkInsertEventsGroupCommit: PAYWARDEN_TEST_POSTGRES_URL=... go test -run=NONE -bench=. ./internal/postgres/
func BenchmarkInsertEventsGroupCommit(b *testing.B) {
	storetest.BenchmarkInsertEventsGroupCommit(b, func(b *testing.B) paywarden.Store { return postgrestest.Open(b) })
}

package sqlite_test

import (
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/storetest"
)

// BenchmarkInsertEventsGroupCommit: go test -run=NONE -bench=. ./internal/sqlite/
func BenchmarkInsertEventsGroupCommit(b *testing.B) {
	storetest.BenchmarkInsertEventsGroupCommit(b, func(b *testing.B) paywarden.Store { return sqlite.OpenTest(b) })
}

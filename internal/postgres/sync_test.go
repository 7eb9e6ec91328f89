package postgres_test

import (
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/storetest"
)

func TestSyncCursors(t *testing.T) {
	storetest.RunSyncTests(t, func(t *testing.T) paywarden.Store { return postgres.OpenTest(t) })
}

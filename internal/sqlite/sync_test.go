package sqlite_test

import (
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/storetest"
)

func TestSyncCursors(t *testing.T) {
	storetest.RunSyncTests(t, func(t *testing.T) paywarden.Store { return sqlite.OpenTest(t) })
}

package sqlite_test

import (
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/storetest"
)

func TestHistory(t *testing.T) {
	storetest.RunHistoryTests(t, func(t *testing.T) paywarden.Store { return sqlite.OpenTest(t) })
}

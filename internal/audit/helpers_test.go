package audit

import (
	"testing"
)

// testAdvisories returns the embedded advisory snapshot: committed, so
// fixture expectations do not move when the shared data is refreshed.
func testAdvisories(t *testing.T) Advisories {
	t.Helper()
	db, err := loadEmbedded()
	if err != nil {
		t.Fatalf("embedded advisories: %v", err)
	}
	return db
}

package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

// TestClaimPlan checks that claiming walks the due index in order rather
// than sorting every pending event, which stalled the single writer under
// a backlog.
func TestClaimPlan(t *testing.T) {
	ctx := context.Background()
	db := OpenTest(t)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.write.QueryContext(ctx, `EXPLAIN QUERY PLAN `+claimSelect, sql.Named("now", 0), sql.Named("limit", 32))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "events_due") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("claim plan: got %q, want a walk of events_due with no sort", got)
	}
}

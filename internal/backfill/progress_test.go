package backfill

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// TestBar draws a type's bar into a buffer, as on a terminal: the
// description, the running count and a rate, then the status.
func TestBar(t *testing.T) {
	var buf bytes.Buffer
	b := NewBar(&buf)
	b.Begin("charge", &paywarden.SyncCursor{Type: "charge", LastID: "ch_9", Listed: 200})
	b.Page("charge", 100)
	b.Page("charge", 40)
	b.End(TypeResult{Type: "charge", Status: StatusDone, Listed: 140})
	b.End(TypeResult{Type: "refund", Status: StatusSkipped})
	out := buf.String()
	for _, want := range []string{"charge (resumed after 200)", "140", "objects/", " done\n", "refund: already done\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output %q lacks %q", out, want)
		}
	}
}

// TestLogProgress logs every page when told to (every 0), and each type's
// start and end; with a long interval only the start and the end.
func TestLogProgress(t *testing.T) {
	for _, tt := range []struct {
		every time.Duration
		lines int
	}{{0, 4}, {time.Hour, 2}} {
		var buf bytes.Buffer
		p := NewLogProgress(slog.New(slog.NewTextHandler(&buf, nil)), tt.every)
		p.Begin("payout", &paywarden.SyncCursor{Type: "payout"})
		p.Page("payout", 100)
		p.Page("payout", 5)
		p.End(TypeResult{Type: "payout", Status: StatusDone, Listed: 105, Pages: 2, Duration: time.Second})
		out := buf.String()
		if n := strings.Count(out, "\n"); n != tt.lines {
			t.Errorf("every %s: got %d lines, want %d:\n%s", tt.every, n, tt.lines, out)
		}
		if !strings.Contains(out, `msg="sync done" type=payout listed=105`) || !strings.Contains(out, "rate=105.0/s") {
			t.Errorf("every %s: got\n%s\nwant a final line with the count and rate", tt.every, out)
		}
		if tt.every == 0 && !strings.Contains(out, "total=105") {
			t.Errorf("every 0: got\n%s\nwant a progress line with the running total", out)
		}
	}
}

package rowmap

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
)

func TestObjectWhere(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tm := Times{Value: func(t time.Time) any { return t.Unix() }}
	dollar := func(n int) string { return "$" + strconv.Itoa(n) }
	w := NewWhere(dollar)
	ObjectWhere(w, paywarden.MirrorFilter{Type: "charge", Currency: "eur", CreatedFrom: from}, tm)
	w.And("id < " + w.Arg("ch_9"))
	if got, want := w.String(), " WHERE type = $1 AND currency = $2 AND created >= $3 AND id < $4"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
	if diff := cmp.Diff([]any{"charge", "eur", from.Unix(), "ch_9"}, w.Args()); diff != "" {
		t.Errorf("Args (-want +got):\n%s", diff)
	}
}

func TestEventWhereEmpty(t *testing.T) {
	w := NewWhere(func(int) string { return "?" })
	EventWhere(w, paywarden.EventFilter{})
	if got := w.String(); got != "" {
		t.Errorf("String of no conditions: got %q, want empty", got)
	}
	EventWhere(w, paywarden.EventFilter{Status: paywarden.EventDead, Type: "charge.refunded"})
	if got, want := w.String(), " WHERE status = ? AND type = ?"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
}

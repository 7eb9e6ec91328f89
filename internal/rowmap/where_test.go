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
	EventWhere(w, paywarden.EventQuery{}, Times{})
	if got := w.String(); got != "" {
		t.Errorf("String of no conditions: got %q, want empty", got)
	}
	EventWhere(w, paywarden.EventQuery{Status: paywarden.EventDead, Type: "charge.refunded"}, Times{})
	if got, want := w.String(), " WHERE status = ? AND type = ?"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
}

func TestEventWhereQuery(t *testing.T) {
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	tm := Times{Value: func(t time.Time) any { return t.Unix() }}
	w := NewWhere(func(n int) string { return "$" + strconv.Itoa(n) })
	EventWhere(w, paywarden.EventQuery{Type: "invoice.paid", ObjectID: "in_1", ReceivedFrom: from, ReceivedTo: to}, tm)
	if got, want := w.String(), " WHERE type = $1 AND object_id = $2 AND received_at >= $3 AND received_at < $4"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
	if diff := cmp.Diff([]any{"invoice.paid", "in_1", from.Unix(), to.Unix()}, w.Args()); diff != "" {
		t.Errorf("Args (-want +got):\n%s", diff)
	}
}

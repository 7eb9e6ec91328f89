package rowmap

import (
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// Where builds the conditions of a WHERE clause and numbers their
// arguments as the dialect wants them.
type Where struct {
	conds []string
	args  []any
	param func(n int) string
}

// NewWhere returns an empty Where whose placeholders param writes, given
// the 1-based number of the argument: "?" for SQLite, "$n" for PostgreSQL.
func NewWhere(param func(n int) string) *Where { return &Where{param: param} }

// Arg adds an argument and returns its placeholder.
func (w *Where) Arg(v any) string {
	w.args = append(w.args, v)
	return w.param(len(w.args))
}

// And adds a condition, whose placeholders come from Arg.
func (w *Where) And(cond string) { w.conds = append(w.conds, cond) }

// Eq adds the condition column = v.
func (w *Where) Eq(column string, v any) { w.And(column + " = " + w.Arg(v)) }

// String returns " WHERE " and the conditions joined by AND, or "" when
// there are none.
func (w *Where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Args returns the arguments in the order of their placeholders.
func (w *Where) Args() []any { return w.args }

// EqSet adds the condition column = v unless v is empty: a filter's empty
// field matches everything.
func (w *Where) EqSet(column, v string) {
	if v != "" {
		w.Eq(column, v)
	}
}

// Between adds the conditions column >= from and column < to, each unless
// its time is zero.
func (w *Where) Between(column string, from, to time.Time, tm Times) {
	if !from.IsZero() {
		w.And(column + " >= " + w.Arg(tm.Value(from)))
	}
	if !to.IsZero() {
		w.And(column + " < " + w.Arg(tm.Value(to)))
	}
}

// EventWhere adds the conditions of q on events, but for StartingAfter,
// whose row comparison differs by dialect.
func EventWhere(w *Where, q paywarden.EventQuery, tm Times) {
	w.EqSet("status", string(q.Status))
	w.EqSet("type", q.Type)
	w.EqSet("object_id", q.ObjectID)
	w.Between("received_at", q.ReceivedFrom, q.ReceivedTo, tm)
}

// ObjectWhere adds the conditions of f on mirror_objects, but for
// StartingAfter, whose row comparison differs by dialect.
func ObjectWhere(w *Where, f paywarden.MirrorFilter, tm Times) {
	w.Eq("type", f.Type)
	w.EqSet("customer", f.Customer)
	w.EqSet("status", f.Status)
	w.EqSet("currency", f.Currency)
	w.Between("created", f.CreatedFrom, f.CreatedTo, tm)
}

package rowmap

import (
	"strings"

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

// EventWhere adds the conditions of f on events, but for StartingAfter,
// whose row comparison differs by dialect.
func EventWhere(w *Where, f paywarden.EventFilter) {
	if f.Status != "" {
		w.Eq("status", string(f.Status))
	}
	if f.Type != "" {
		w.Eq("type", f.Type)
	}
}

// ObjectWhere adds the conditions of f on mirror_objects, but for
// StartingAfter, whose row comparison differs by dialect.
func ObjectWhere(w *Where, f paywarden.MirrorFilter, tm Times) {
	w.Eq("type", f.Type)
	if f.Customer != "" {
		w.Eq("customer", f.Customer)
	}
	if f.Status != "" {
		w.Eq("status", f.Status)
	}
	if f.Currency != "" {
		w.Eq("currency", f.Currency)
	}
	if !f.CreatedFrom.IsZero() {
		w.And("created >= " + w.Arg(tm.Value(f.CreatedFrom)))
	}
	if !f.CreatedTo.IsZero() {
		w.And("created < " + w.Arg(tm.Value(f.CreatedTo)))
	}
}

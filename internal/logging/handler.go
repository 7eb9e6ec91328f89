package logging

import (
	"context"
	"encoding"
	"fmt"
	"log/slog"
	"unicode/utf8"
)

// handler scrubs every record before the wrapped handler formats it.
//
// Values are scrubbed as text: anything that is not a number, a bool, a time
// or a duration is formatted to a string first (errors with Error, Stringers
// with String, []byte as text, the rest with fmt), because a secret can hide
// in any of them and only text can be searched for it. Structured values
// therefore reach the output as strings; that is the price of never leaking.
type handler struct {
	next slog.Handler
	r    *Redactor
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &handler{next: h.next.WithAttrs(clean), r: h.r}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(h.r.String(name)), r: h.r}
}

// attr returns a scrubbed copy of a, descending into groups.
func (h *handler) attr(a slog.Attr) slog.Attr {
	a.Key = h.r.String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]slog.Attr, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		a.Value = slog.StringValue(h.r.String(text(v.Any())))
	default: // numbers, bools, times, durations: no room for a secret
		a.Value = v
	}
	return a
}

// text formats any value as a string, the way a reader of the log would want
// to see it. A method that panics (a nil pointer receiver) must not take the
// logger down with it.
func text(v any) (s string) {
	defer func() {
		if p := recover(); p != nil {
			s = fmt.Sprintf("!PANIC formatting %T", v)
		}
	}()
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return fmt.Sprintf("%q", x)
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		if err != nil {
			return fmt.Sprintf("!ERROR marshaling %T", v)
		}
		return string(b)
	default:
		return fmt.Sprintf("%+v", v)
	}
}

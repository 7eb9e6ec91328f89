// Package report computes paywarden's financial reports (revenue,
// subscriptions and MRR, payouts) from the local mirror of Stripe objects,
// with no Stripe key. The definitions are those of REPORTS.md, which
// docs/REPORTING.md restates for users.
//
// Reports read the objects' Stripe JSON (MirrorObject.Data), never the
// columns a store pulls out of it, so that they do not depend on what a
// store extracts; a store's Created column is used only to page through a
// time range. Amounts stay in each currency's minor unit and currencies are
// never added together.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/paywarden/paywarden"
)

// Source is what reports read: the mirror and, for subscriptions, its
// history. paywarden.Store has it.
type Source interface {
	ListObjects(ctx context.Context, f paywarden.MirrorFilter) ([]*paywarden.MirrorObject, error)
	ObjectsAt(ctx context.Context, typ string, ids []string, at time.Time) ([]*paywarden.MirrorObject, error)
	ObjectHistory(ctx context.Context, typ, id string) ([]*paywarden.MirrorObject, error)
}

// Names of the reports.
const (
	Revenue       = "revenue"
	Subscriptions = "subscriptions"
	Payouts       = "payouts"
)

// Options selects what a report covers.
type Options struct {
	// From and To bound the report: From inclusive, To exclusive.
	From, To time.Time
	// Interval splits [From, To) into periods.
	Interval Interval
	// Currency keeps only one currency (lower-case ISO 4217); "" keeps all.
	Currency string
}

// MaxPeriods bounds how many periods one report may have.
const MaxPeriods = 5000

// Validate checks the options. EINVALID.
func (o Options) Validate() error {
	if o.From.IsZero() || o.To.IsZero() {
		return paywarden.Errorf(paywarden.EINVALID, "a report needs a start and an end")
	}
	if !o.From.Before(o.To) {
		return paywarden.Errorf(paywarden.EINVALID, "the start of a report must be before its end")
	}
	if _, err := ParseInterval(string(o.Interval)); err != nil {
		return err
	}
	if n := len(periods(o.From, o.To, o.Interval)); n > MaxPeriods {
		return paywarden.Errorf(paywarden.EINVALID, "the report would have %d periods; the most is %d: use a longer interval or a shorter range", n, MaxPeriods)
	}
	return nil
}

// Interval is the length of a report's periods.
type Interval string

// Intervals.
const (
	Day   Interval = "day"
	Week  Interval = "week" // weeks start on Monday, as ISO 8601 weeks do
	Month Interval = "month"
)

// ParseInterval reads day, week or month. EINVALID for anything else.
func ParseInterval(s string) (Interval, error) {
	switch Interval(s) {
	case Day, Week, Month:
		return Interval(s), nil
	}
	return "", paywarden.Errorf(paywarden.EINVALID, "interval must be day, week or month")
}

// ParseTime reads a report bound: a date (2026-01-31, midnight UTC) or an
// RFC 3339 time. EINVALID otherwise.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, paywarden.Errorf(paywarden.EINVALID, "want a date such as 2026-01-31 or an RFC 3339 time")
}

// truncate returns the start of the period of interval iv that holds t.
func truncate(t time.Time, iv Interval) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch iv {
	case Week:
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

func next(t time.Time, iv Interval) time.Time {
	switch iv {
	case Week:
		return t.AddDate(0, 0, 7)
	case Month:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

func prev(t time.Time, iv Interval) time.Time {
	switch iv {
	case Week:
		return t.AddDate(0, 0, -7)
	case Month:
		return t.AddDate(0, -1, 0)
	}
	return t.AddDate(0, 0, -1)
}

// period is one row's span: [start, end).
type period struct{ start, end time.Time }

// label names a period by its first day, UTC.
func (p period) label() string { return p.start.Format(time.DateOnly) }

// periods splits [from, to) at the boundaries of iv. The first and last
// periods are clipped to the range.
func periods(from, to time.Time, iv Interval) []period {
	var ps []period
	for s := from; s.Before(to); {
		e := next(truncate(s, iv), iv)
		if e.After(to) {
			e = to
		}
		ps = append(ps, period{s, e})
		if len(ps) > MaxPeriods {
			break
		}
		s = e
	}
	return ps
}

// find returns the index of the period that holds t, or -1.
func find(ps []period, t time.Time) int {
	lo, hi := 0, len(ps)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case t.Before(ps[m].start):
			hi = m
		case !t.Before(ps[m].end):
			lo = m + 1
		default:
			return m
		}
	}
	return -1
}

// pageSize is how many objects one ListObjects call reads: reports stream
// through the mirror a page at a time instead of loading a whole range.
const pageSize = 500

// each calls fn for every object that f selects, a page at a time.
func each(ctx context.Context, src Source, f paywarden.MirrorFilter, fn func(*paywarden.MirrorObject) error) error {
	return pages(ctx, src, f, func(page []*paywarden.MirrorObject) error {
		for _, o := range page {
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	})
}

// mirrored reports whether the mirror holds any object of type typ.
func mirrored(ctx context.Context, src Source, typ string) (bool, error) {
	os, err := src.ListObjects(ctx, paywarden.MirrorFilter{Type: typ, Limit: 1})
	if err != nil {
		return false, fmt.Errorf("reading %ss from the mirror: %w", typ, err)
	}
	return len(os) > 0, nil
}

// unix turns a Stripe timestamp into a time; 0 is the zero time.
func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

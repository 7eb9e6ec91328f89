package report_test

import (
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/report"
)

func TestParamsDefaults(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 30, 0, 0, time.UTC)
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	tests := []struct {
		kind     string
		p        report.Params
		from, to time.Time
		iv       report.Interval
	}{
		{report.Revenue, report.Params{}, day("2025-04-01"), now, report.Month},
		{report.Payouts, report.Params{}, day("2026-03-04"), now, report.Day},
		{report.Revenue, report.Params{Interval: "week"}, day("2025-12-22"), now, report.Week}, // 2026-03-09 is a Monday
		{report.Subscriptions, report.Params{}, day("2026-03-01"), now, report.Month},
		{report.Subscriptions, report.Params{At: "2026-03-01"}, day("2026-02-01"), day("2026-03-01"), report.Month},
		{report.Subscriptions, report.Params{At: "2026-03-01T12:00:00+02:00"}, day("2026-03-01"), time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), report.Month},
		{report.Revenue, report.Params{From: "2026-01-15", To: "2026-02-01", Currency: "JPY"}, day("2026-01-15"), day("2026-02-01"), report.Month},
	}
	for _, tt := range tests {
		o, err := tt.p.Options(tt.kind, now)
		if err != nil {
			t.Errorf("%s %+v: %v", tt.kind, tt.p, err)
			continue
		}
		if !o.From.Equal(tt.from) || !o.To.Equal(tt.to) || o.Interval != tt.iv {
			t.Errorf("%s %+v: got %v to %v by %s, want %v to %v by %s", tt.kind, tt.p, o.From, o.To, o.Interval, tt.from, tt.to, tt.iv)
		}
		if tt.p.Currency != "" && o.Currency != "jpy" {
			t.Errorf("currency: got %q, want jpy", o.Currency)
		}
	}
}

// FuzzParams: any parameters either resolve to a valid range or fail with
// invalid_request naming the parameter; nothing panics.
func FuzzParams(f *testing.F) {
	f.Add("revenue", "2026-01-01", "2026-02-01", "", "month", "usd")
	f.Add("subscriptions", "", "", "2026-03-01T00:00:00Z", "week", "")
	f.Add("payouts", "2000-01-01", "2030-01-01", "", "day", "JPY")
	f.Add("revenue", "2026-02-01", "2026-01-01", "", "year", "dollars")
	now := time.Date(2026, 3, 15, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, kind, from, to, at, iv, cur string) {
		o, err := report.Params{From: from, To: to, At: at, Interval: iv, Currency: cur}.Options(kind, now)
		if err != nil {
			var e *paywarden.Error
			if code := paywarden.ErrorCode(err); code != paywarden.EINVALID {
				t.Fatalf("got code %s, want %s: %v", code, paywarden.EINVALID, err)
			}
			if e, _ = err.(*paywarden.Error); e == nil || e.Param == "" {
				t.Fatalf("the error names no parameter: %v", err)
			}
			return
		}
		if !o.From.Before(o.To) || o.Validate() != nil {
			t.Fatalf("resolved to an invalid range: %+v", o)
		}
	})
}

package main

import (
	"context"
	"slices"
	"time"

	reports "github.com/paywarden/paywarden/internal/report"
	"github.com/paywarden/paywarden/internal/ui"
)

// The dashboard's revenue and MRR pages read internal/report, as
// `paywarden report` and /v1/reports do; these adapters turn its reports
// into the dashboard's rows, so that internal/ui imports neither.

func uiRevenue(src reports.Source) ui.RevenueFunc {
	return func(ctx context.Context, from, to time.Time, interval string) ([]ui.RevenueRow, error) {
		rep, err := reports.ComputeRevenue(ctx, src, reports.Options{From: from, To: to, Interval: reports.Interval(interval)})
		if err != nil {
			return nil, err
		}
		rows := make([]ui.RevenueRow, len(rep.Rows))
		for i, r := range rep.Rows {
			rows[i] = ui.RevenueRow{Period: r.Period, Currency: r.Currency, Gross: r.Gross, Refunded: r.Refunded,
				Disputed: r.Disputed, Net: r.Net, Count: int(r.Count)}
			if r.Fees != nil {
				rows[i].Fees = *r.Fees
			}
		}
		return rows, nil
	}
}

func uiSubscriptions(src reports.Source) ui.SubscriptionsFunc {
	return func(ctx context.Context, at time.Time) (*ui.Subscriptions, error) {
		from := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
		if !from.Before(at) {
			from = from.AddDate(0, -1, 0)
		}
		rep, err := reports.ComputeSubscriptions(ctx, src, reports.Options{From: from, To: at, Interval: reports.Interval("month")})
		if err != nil {
			return nil, err
		}
		out := &ui.Subscriptions{ByStatus: map[string]int{
			"active": rep.Active, "trialing": rep.Trialing, "past_due": rep.PastDue, "canceled": rep.Canceled}}
		var currencies []string
		for c := range rep.MRR {
			currencies = append(currencies, c)
		}
		for c := range rep.StartMRR {
			if !slices.Contains(currencies, c) {
				currencies = append(currencies, c)
			}
		}
		slices.Sort(currencies)
		for _, c := range currencies {
			out.MRR = append(out.MRR, ui.MRR{Currency: c, MRR: rep.MRR[c], New: rep.New[c] + rep.Reactivation[c],
				Expansion: rep.Expansion[c], Contraction: rep.Contraction[c], Churned: rep.Churned[c]})
		}
		return out, nil
	}
}

package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// PayoutRow is the payouts of one period (by arrival date), status and
// currency, in the currency's minor unit.
type PayoutRow struct {
	Period   string `json:"period"` // the first day of the arrival period, UTC
	Status   string `json:"status"` // paid, pending, in_transit, canceled, failed
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
	Count    int64  `json:"count"`
}

// PayoutsReport is the payouts report.
type PayoutsReport struct {
	Report   string      `json:"report"` // "payouts"
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Interval Interval    `json:"interval"`
	Currency string      `json:"currency,omitempty"`
	Notes    []string    `json:"notes"`
	Rows     []PayoutRow `json:"rows"`
}

type stripePayout struct {
	ID          string `json:"id"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Status      string `json:"status"`
	ArrivalDate int64  `json:"arrival_date"`
}

// ComputePayouts groups payouts whose arrival date is in [From, To) by
// period, status and currency.
func ComputePayouts(ctx context.Context, src Source, o Options) (*PayoutsReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	ps := periods(o.From, o.To, o.Interval)
	type key struct {
		period           int
		status, currency string
	}
	sums := map[key]*PayoutRow{}
	// A payout arrives after it is created, so every payout that arrives
	// before To was created before To; those created earlier are read too,
	// as a payout may take days to arrive.
	f := paywarden.MirrorFilter{Type: paywarden.ObjectPayout, CreatedTo: o.To}
	err := each(ctx, src, f, func(m *paywarden.MirrorObject) error {
		var p stripePayout
		if err := decode(m, &p); err != nil {
			return err
		}
		cur := strings.ToLower(p.Currency)
		i := find(ps, unix(p.ArrivalDate))
		if i < 0 || (o.Currency != "" && cur != o.Currency) {
			return nil
		}
		k := key{i, p.Status, cur}
		if sums[k] == nil {
			sums[k] = &PayoutRow{Period: ps[i].label(), Status: p.Status, Currency: cur}
		}
		sums[k].Amount += p.Amount
		sums[k].Count++
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := &PayoutsReport{Report: Payouts, From: o.From, To: o.To, Interval: o.Interval, Currency: o.Currency,
		Notes: []string{"Payouts are grouped by the date they arrive (or are expected to) in the bank, by status and by currency."},
		Rows:  []PayoutRow{}}
	for _, row := range sums {
		r.Rows = append(r.Rows, *row)
	}
	slices.SortFunc(r.Rows, func(a, b PayoutRow) int {
		return strings.Compare(a.Period+"\x00"+a.Currency+"\x00"+a.Status, b.Period+"\x00"+b.Currency+"\x00"+b.Status)
	})
	return r, nil
}

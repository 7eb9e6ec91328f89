package report

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// Sources of the revenue report.
const (
	// SourceBalanceTransactions: Stripe's ledger, used whenever the mirror
	// holds balance transactions. Fees are known.
	SourceBalanceTransactions = "balance_transactions"
	// SourceCharges: charges, refunds and disputes, when no balance
	// transaction is mirrored. Fees are unknown.
	SourceCharges = "charges"
)

// RevenueRow is one period's revenue in one currency, in its minor unit.
type RevenueRow struct {
	Period   string `json:"period"` // the period's first day, UTC
	Currency string `json:"currency"`
	Gross    int64  `json:"gross"`
	Refunded int64  `json:"refunded"`
	Disputed int64  `json:"disputed"`
	// Fees are Stripe's fees; nil when unknown (no balance transactions).
	Fees *int64 `json:"fees"`
	// Net is Gross − Refunded − Disputed − Fees; when fees are unknown it
	// is before fees.
	Net   int64 `json:"net"`
	Count int64 `json:"count"` // charges counted in Gross
}

// RevenueReport is the revenue report.
type RevenueReport struct {
	Report   string    `json:"report"` // "revenue"
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Interval Interval  `json:"interval"`
	Currency string    `json:"currency,omitempty"`
	// Source is SourceBalanceTransactions or SourceCharges.
	Source    string       `json:"source"`
	FeesKnown bool         `json:"fees_known"`
	Notes     []string     `json:"notes"`
	Rows      []RevenueRow `json:"rows"`
}

// revenueSum accumulates one row.
type revenueSum struct {
	gross, refunded, disputed, fees, count int64
}

// ComputeRevenue computes the revenue report from balance transactions
// when the mirror holds any, and from charges, refunds and disputes
// otherwise (REPORTS.md "Revenue").
func ComputeRevenue(ctx context.Context, src Source, o Options) (*RevenueReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	r := &RevenueReport{Report: Revenue, From: o.From, To: o.To, Interval: o.Interval, Currency: o.Currency, Notes: []string{}}
	ps := periods(o.From, o.To, o.Interval)
	sums := map[string][]revenueSum{} // currency → per period
	add := func(cur string, t time.Time, f func(*revenueSum)) {
		if o.Currency != "" && cur != o.Currency {
			return
		}
		i := find(ps, t)
		if i < 0 {
			return
		}
		if sums[cur] == nil {
			sums[cur] = make([]revenueSum, len(ps))
		}
		f(&sums[cur][i])
	}
	ledger, err := mirrored(ctx, src, paywarden.ObjectBalanceTransaction)
	if err != nil {
		return nil, err
	}
	if ledger {
		r.Source, r.FeesKnown = SourceBalanceTransactions, true
		r.Notes = append(r.Notes,
			"Source: balance transactions, Stripe's ledger. Amounts are in the currency of the Stripe balance they settled in; a charge in another currency appears converted.",
			"disputed is the money withdrawn for disputes less the money returned for disputes won, both when Stripe moved it.")
		err = revenueFromLedger(ctx, src, o, add)
	} else {
		r.Source = SourceCharges
		r.Notes = append(r.Notes,
			"Source: charges, refunds and disputes; no balance transaction is mirrored.",
			"Fees are unknown without balance transactions: fees is empty and net is before fees.")
		err = revenueFromCharges(ctx, src, o, add)
	}
	if err != nil {
		return nil, err
	}
	r.Rows = revenueRows(ps, sums, r.FeesKnown)
	return r, nil
}

// revenueRows lays the sums out as rows: every period for every currency
// that has any activity, so that a series has no gaps.
func revenueRows(ps []period, sums map[string][]revenueSum, feesKnown bool) []RevenueRow {
	curs := make([]string, 0, len(sums))
	for c := range sums {
		curs = append(curs, c)
	}
	slices.Sort(curs)
	rows := []RevenueRow{}
	for i, p := range ps {
		for _, c := range curs {
			s := sums[c][i]
			row := RevenueRow{Period: p.label(), Currency: c, Gross: s.gross, Refunded: s.refunded,
				Disputed: s.disputed, Net: s.gross - s.refunded - s.disputed, Count: s.count}
			if feesKnown {
				fees := s.fees
				row.Fees = &fees
				row.Net -= fees
			}
			rows = append(rows, row)
		}
	}
	return rows
}

type addFunc func(cur string, t time.Time, f func(*revenueSum))

// stripeCharge holds the fields of a charge that revenue reads.
type stripeCharge struct {
	ID             string `json:"id"`
	Amount         int64  `json:"amount"`
	AmountCaptured *int64 `json:"amount_captured"`
	Captured       bool   `json:"captured"`
	Paid           bool   `json:"paid"`
	Status         string `json:"status"`
	Currency       string `json:"currency"`
	Created        int64  `json:"created"`
}

// stripeRefund holds the fields of a refund or a dispute that revenue reads.
type stripeRefund struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Status   string `json:"status"`
	Currency string `json:"currency"`
	Created  int64  `json:"created"`
}

func decode(o *paywarden.MirrorObject, v any) error {
	if err := json.Unmarshal(o.Data, v); err != nil {
		return fmt.Errorf("%s %s in the mirror is not valid Stripe JSON: %w", o.Type, o.ID, err)
	}
	return nil
}

// revenueFromCharges: gross from succeeded, captured charges by created
// date; refunded from refunds that did not fail; disputed from disputes
// lost, by the date the dispute was opened (when Stripe withdrew the money).
func revenueFromCharges(ctx context.Context, src Source, o Options, add addFunc) error {
	f := paywarden.MirrorFilter{Type: paywarden.ObjectCharge, CreatedFrom: o.From, CreatedTo: o.To}
	err := each(ctx, src, f, func(m *paywarden.MirrorObject) error {
		var c stripeCharge
		if err := decode(m, &c); err != nil {
			return err
		}
		if c.Status != "succeeded" || !c.Captured {
			return nil // failed, pending and uncaptured charges are not revenue
		}
		amount := c.Amount
		if c.AmountCaptured != nil && *c.AmountCaptured > 0 {
			amount = *c.AmountCaptured // a partial capture
		}
		add(strings.ToLower(c.Currency), unix(c.Created), func(s *revenueSum) { s.gross += amount; s.count++ })
		return nil
	})
	if err != nil {
		return err
	}
	f.Type = paywarden.ObjectRefund
	err = each(ctx, src, f, func(m *paywarden.MirrorObject) error {
		var r stripeRefund
		if err := decode(m, &r); err != nil {
			return err
		}
		if r.Status == "failed" || r.Status == "canceled" {
			return nil
		}
		add(strings.ToLower(r.Currency), unix(r.Created), func(s *revenueSum) { s.refunded += r.Amount })
		return nil
	})
	if err != nil {
		return err
	}
	f.Type = paywarden.ObjectDispute
	return each(ctx, src, f, func(m *paywarden.MirrorObject) error {
		var d stripeRefund
		if err := decode(m, &d); err != nil {
			return err
		}
		if d.Status != "lost" {
			return nil // won or still open
		}
		add(strings.ToLower(d.Currency), unix(d.Created), func(s *revenueSum) { s.disputed += d.Amount })
		return nil
	})
}

// stripeBalanceTransaction holds the fields of a balance transaction that
// revenue reads.
type stripeBalanceTransaction struct {
	ID                string `json:"id"`
	Amount            int64  `json:"amount"`
	Fee               int64  `json:"fee"`
	Currency          string `json:"currency"`
	Created           int64  `json:"created"`
	Type              string `json:"type"`
	ReportingCategory string `json:"reporting_category"`
}

// category is the reporting category of a balance transaction, from its
// type when Stripe sent none.
func (b *stripeBalanceTransaction) category() string {
	if b.ReportingCategory != "" {
		return b.ReportingCategory
	}
	switch b.Type {
	case "charge", "payment":
		return "charge"
	case "refund", "payment_refund":
		return "refund"
	case "refund_failure", "payment_failure_refund":
		return "refund_failure"
	case "stripe_fee", "tax_fee":
		return "fee"
	}
	return b.Type
}

// revenueFromLedger reads balance transactions by their created date:
// charges are gross, refunds (less refund failures) refunded, disputes
// (less reversals of disputes won) disputed, and the fee of each, plus
// Stripe's separately billed fees, fees. Payouts, transfers and the other
// categories move money that is not revenue.
func revenueFromLedger(ctx context.Context, src Source, o Options, add addFunc) error {
	f := paywarden.MirrorFilter{Type: paywarden.ObjectBalanceTransaction, CreatedFrom: o.From, CreatedTo: o.To}
	return each(ctx, src, f, func(m *paywarden.MirrorObject) error {
		var b stripeBalanceTransaction
		if err := decode(m, &b); err != nil {
			return err
		}
		var fn func(*revenueSum)
		switch b.category() {
		case "charge":
			fn = func(s *revenueSum) { s.gross += b.Amount; s.count++; s.fees += b.Fee }
		case "refund", "refund_failure":
			fn = func(s *revenueSum) { s.refunded -= b.Amount; s.fees += b.Fee }
		case "dispute", "dispute_reversal":
			fn = func(s *revenueSum) { s.disputed -= b.Amount; s.fees += b.Fee }
		case "fee":
			fn = func(s *revenueSum) { s.fees += b.Fee - b.Amount }
		default:
			return nil
		}
		add(strings.ToLower(b.Currency), unix(b.Created), fn)
		return nil
	})
}

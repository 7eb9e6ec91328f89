package report

import (
	"encoding/json"
	"math/big"
	"strings"
	"time"
)

// stripeSubscription holds the fields of a subscription that MRR reads.
type stripeSubscription struct {
	ID         string                      `json:"id"`
	Customer   json.RawMessage             `json:"customer"` // an id, or the customer when expanded
	Status     string                      `json:"status"`
	Currency   string                      `json:"currency"`
	Created    int64                       `json:"created"`
	EndedAt    int64                       `json:"ended_at"`
	TrialStart int64                       `json:"trial_start"`
	TrialEnd   int64                       `json:"trial_end"`
	Items      struct{ Data []stripeItem } `json:"items"`
	Discounts  []json.RawMessage           `json:"discounts"`
	Discount   json.RawMessage             `json:"discount"` // before API version 2025-03-31

	first bool // the earliest recorded state: see firstState
}

type stripeItem struct {
	ID        string            `json:"id"`
	Quantity  *int64            `json:"quantity"`
	Price     *stripePrice      `json:"price"`
	Plan      *stripePlan       `json:"plan"` // before prices
	Discounts []json.RawMessage `json:"discounts"`
}

type stripeRecurring struct {
	Interval      string `json:"interval"`
	IntervalCount int64  `json:"interval_count"`
	UsageType     string `json:"usage_type"`
}

type stripePrice struct {
	ID                string           `json:"id"`
	Currency          string           `json:"currency"`
	UnitAmount        *int64           `json:"unit_amount"`
	UnitAmountDecimal string           `json:"unit_amount_decimal"`
	Recurring         *stripeRecurring `json:"recurring"`
}

type stripePlan struct {
	ID            string `json:"id"`
	Currency      string `json:"currency"`
	Amount        *int64 `json:"amount"`
	AmountDecimal string `json:"amount_decimal"`
	stripeRecurring
}

type stripeDiscount struct {
	ID     string        `json:"id"`
	Start  int64         `json:"start"`
	End    int64         `json:"end"`
	Coupon *stripeCoupon `json:"coupon"` // before API version 2025-09-30
	Source *struct {
		Coupon json.RawMessage `json:"coupon"`
	} `json:"source"`
}

type stripeCoupon struct {
	ID               string      `json:"id"`
	PercentOff       json.Number `json:"percent_off"`
	AmountOff        *int64      `json:"amount_off"`
	Currency         string      `json:"currency"`
	Duration         string      `json:"duration"` // once, repeating, forever
	DurationInMonths *int64      `json:"duration_in_months"`
}

// customerID returns the customer's id, expanded or not.
func (s *stripeSubscription) customerID() string {
	var id string
	if json.Unmarshal(s.Customer, &id) == nil {
		return id
	}
	var c struct{ ID string }
	json.Unmarshal(s.Customer, &c)
	return c.ID
}

// counted reports whether a subscription of status st counts in MRR.
func counted(st string) bool { return st == "active" || st == "past_due" }

// line is an item's price as MRR needs it.
type line struct {
	item, price, currency string
	unit                  *big.Rat // per interval, minor units; nil for tiered prices
	interval              string
	count                 int64
	metered               bool
}

func (it *stripeItem) line() line {
	var l line
	switch {
	case it.Price != nil:
		p := it.Price
		l = line{price: p.ID, currency: p.Currency, unit: amountRat(p.UnitAmount, p.UnitAmountDecimal)}
		if p.Recurring != nil {
			l.interval, l.count, l.metered = p.Recurring.Interval, p.Recurring.IntervalCount, p.Recurring.UsageType == "metered"
		}
	case it.Plan != nil:
		p := it.Plan
		l = line{price: p.ID, currency: p.Currency, unit: amountRat(p.Amount, p.AmountDecimal),
			interval: p.Interval, count: p.IntervalCount, metered: p.UsageType == "metered"}
	}
	l.item, l.currency = it.ID, strings.ToLower(l.currency)
	if l.count <= 0 {
		l.count = 1
	}
	return l
}

// amountRat prefers the decimal amount, which keeps sub-unit prices exact.
func amountRat(amount *int64, decimal string) *big.Rat {
	if decimal != "" {
		if r, ok := new(big.Rat).SetString(decimal); ok {
			return r
		}
	}
	if amount == nil {
		return nil
	}
	return new(big.Rat).SetInt64(*amount)
}

// monthly is the factor that turns an amount per count intervals into an
// amount per month: year ÷ 12, week × 52 ÷ 12, day × 365 ÷ 12.
func monthly(interval string, count int64) *big.Rat {
	var r *big.Rat
	switch interval {
	case "year":
		r = big.NewRat(1, 12)
	case "week":
		r = big.NewRat(52, 12)
	case "day":
		r = big.NewRat(365, 12)
	default: // month
		r = big.NewRat(1, 1)
	}
	return r.Quo(r, big.NewRat(max(count, 1), 1))
}

// addInterval returns t plus count intervals.
func addInterval(t time.Time, interval string, count int64) time.Time {
	n := int(max(count, 1))
	switch interval {
	case "year":
		return t.AddDate(n, 0, 0)
	case "week":
		return t.AddDate(0, 0, 7*n)
	case "day":
		return t.AddDate(0, 0, n)
	}
	return t.AddDate(0, n, 0)
}

// mrrResult is a subscription's MRR at one time.
type mrrResult struct {
	currency   string
	amount     int64
	metered    []line // metered items: not in amount, listed separately
	tiered     int    // items with tiered prices: not in amount
	unexpanded int    // discounts given only by id: not applied
}

// mrrOf computes the MRR of subscription s as it is described, at time t
// (for the discounts in effect then): for each licensed item
// unit_amount × quantity normalised to a month, less item discounts, summed,
// less subscription discounts, never below zero, rounded half away from
// zero to the minor unit.
func mrrOf(s *stripeSubscription, t time.Time) mrrResult {
	res := mrrResult{currency: strings.ToLower(s.Currency)}
	total := new(big.Rat)
	var bill line // the billing interval, for amount_off coupons
	for i := range s.Items.Data {
		it := &s.Items.Data[i]
		l := it.line()
		if res.currency == "" {
			res.currency = l.currency
		}
		if l.metered {
			res.metered = append(res.metered, l)
			continue
		}
		if l.unit == nil {
			res.tiered++
			continue
		}
		if bill.interval == "" {
			bill = l
		}
		qty := int64(1)
		if it.Quantity != nil {
			qty = *it.Quantity
		}
		amt := new(big.Rat).Mul(l.unit, big.NewRat(qty, 1))
		amt.Mul(amt, monthly(l.interval, l.count))
		res.unexpanded += applyDiscounts(amt, it.Discounts, nil, l, res.currency, t)
		total.Add(total, amt)
	}
	res.unexpanded += applyDiscounts(total, s.Discounts, s.Discount, bill, res.currency, t)
	if total.Sign() < 0 {
		total.SetInt64(0)
	}
	res.amount = round(total)
	return res
}

// applyDiscounts reduces amt by the discounts in effect at t and returns
// how many could not be read because they were ids, not objects.
func applyDiscounts(amt *big.Rat, list []json.RawMessage, legacy json.RawMessage, bill line, currency string, t time.Time) int {
	if len(legacy) > 0 && string(legacy) != "null" {
		list = append([]json.RawMessage{legacy}, list...)
	}
	unexpanded := 0
	for _, raw := range list {
		var d stripeDiscount
		if json.Unmarshal(raw, &d) != nil {
			unexpanded++ // an id: the mirror holds the subscription unexpanded
			continue
		}
		c := d.Coupon
		if c == nil && d.Source != nil {
			if json.Unmarshal(d.Source.Coupon, &c) != nil {
				unexpanded++
				continue
			}
		}
		if c == nil || !inEffect(&d, c, bill, t) {
			continue
		}
		if c.PercentOff != "" {
			if p, ok := new(big.Rat).SetString(string(c.PercentOff)); ok {
				amt.Mul(amt, new(big.Rat).Quo(new(big.Rat).Sub(big.NewRat(100, 1), p), big.NewRat(100, 1)))
			}
		}
		if c.AmountOff != nil && (c.Currency == "" || strings.EqualFold(c.Currency, currency)) {
			// amount_off comes off every invoice: per month, it is normalised
			// by the billing interval.
			off := new(big.Rat).Mul(big.NewRat(*c.AmountOff, 1), monthly(bill.interval, bill.count))
			amt.Sub(amt, off)
			if amt.Sign() < 0 {
				amt.SetInt64(0)
			}
		}
	}
	return unexpanded
}

// inEffect reports whether discount d applies at t: from its start to its
// end; a "once" coupon for the first billing period, a "repeating" one for
// its months when Stripe sent no end.
func inEffect(d *stripeDiscount, c *stripeCoupon, bill line, t time.Time) bool {
	start, end := unix(d.Start), unix(d.End)
	if !start.IsZero() && t.Before(start) {
		return false
	}
	if end.IsZero() && !start.IsZero() {
		switch c.Duration {
		case "once":
			end = addInterval(start, bill.interval, bill.count)
		case "repeating":
			if c.DurationInMonths != nil {
				end = start.AddDate(0, int(*c.DurationInMonths), 0)
			}
		}
	}
	return end.IsZero() || t.Before(end)
}

// round rounds half away from zero.
func round(r *big.Rat) int64 {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

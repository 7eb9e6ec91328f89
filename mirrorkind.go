package paywarden

import (
	"encoding/json"
	"math/big"
	"strings"
	"time"
)

// MirrorKind describes one mirrored object type: where Stripe serves it,
// whether it moves money, and how its record's fields are pulled out of its
// JSON. The webhook workers, the fetch path (stripeapi's Fetch), the
// internal API's write-through and sync all read these, so that a type is
// added in one place.
type MirrorKind struct {
	Type string // ObjectCustomer, ...; set by MirrorKindOf
	// Path is the type's API resource: Path+"/{id}" reads one object and
	// Path lists them.
	Path string
	// MoneyMoving types are always re-read from Stripe rather than taken
	// from an event payload; see MoneyMoving.
	MoneyMoving bool
	// Expand lists what a read of one object asks Stripe to expand, so
	// that the mirror holds what reports read and a payload lacks: a
	// subscription's discounts with their coupons (percent or amount off).
	Expand []string

	// amount is the field of the type that MirrorObject.Amount holds, for
	// a record whose type has one.
	amount func(o *stripeFields) int64
	// status, when set, makes MirrorObject.Status for types whose JSON
	// has no status of its own.
	status func(o *stripeFields) string
}

// mirrorKinds holds a kind for every type of MirroredTypes; a test fails
// when one is missing.
var mirrorKinds = map[string]MirrorKind{
	ObjectCustomer: {Path: "/v1/customers"},
	ObjectPaymentIntent: {Path: "/v1/payment_intents", MoneyMoving: true, amount: func(o *stripeFields) int64 {
		// What was received once something was, else what is asked.
		if o.AmountReceived > 0 {
			return o.AmountReceived
		}
		return o.Amount
	}},
	ObjectCharge:  {Path: "/v1/charges", MoneyMoving: true, amount: plainAmount},
	ObjectRefund:  {Path: "/v1/refunds", MoneyMoving: true, amount: plainAmount},
	ObjectDispute: {Path: "/v1/disputes", MoneyMoving: true, amount: plainAmount},
	ObjectSubscription: {Path: "/v1/subscriptions", Expand: []string{"discounts.source.coupon"},
		amount: monthlyRevenue},
	ObjectInvoice: {Path: "/v1/invoices", amount: func(o *stripeFields) int64 { return o.AmountPaid }},
	ObjectPrice: {Path: "/v1/prices", status: activeStatus, amount: func(o *stripeFields) int64 {
		if o.UnitAmount == nil {
			return 0
		}
		return *o.UnitAmount
	}},
	ObjectProduct: {Path: "/v1/products", status: activeStatus},
	// A balance transaction's amount is gross; its fee and net stay in
	// its JSON for the revenue report.
	ObjectBalanceTransaction: {Path: "/v1/balance_transactions", MoneyMoving: true, amount: plainAmount},
	ObjectPayout:             {Path: "/v1/payouts", MoneyMoving: true, amount: plainAmount},
}

// MirrorKindOf returns the kind of a mirrored type, or false for a type
// paywarden does not mirror.
func MirrorKindOf(t string) (MirrorKind, bool) {
	k, ok := mirrorKinds[t]
	if !ok {
		return MirrorKind{}, false
	}
	k.Type = t
	return k, true
}

// stripeFields holds the fields of any mirrored Stripe object that its
// record pulls out. Fields a type lacks stay zero.
type stripeFields struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	Livemode       bool            `json:"livemode"`
	Created        int64           `json:"created"`
	Customer       json.RawMessage `json:"customer"` // an id, an expanded object or null
	Status         string          `json:"status"`
	Currency       string          `json:"currency"`
	Amount         int64           `json:"amount"`
	AmountReceived int64           `json:"amount_received"`
	AmountPaid     int64           `json:"amount_paid"`
	UnitAmount     *int64          `json:"unit_amount"`
	Active         *bool           `json:"active"`
	Deleted        bool            `json:"deleted"`
	Items          *struct {
		Data []struct {
			Quantity *int64         `json:"quantity"`
			Price    *recurringLine `json:"price"`
			Plan     *recurringLine `json:"plan"` // before prices
		} `json:"data"`
	} `json:"items"`
	Discounts []json.RawMessage `json:"discounts"` // ids, or discounts when expanded
}

// recurringLine is a subscription item's price (or legacy plan).
type recurringLine struct {
	UnitAmount *int64 `json:"unit_amount"`
	Amount     *int64 `json:"amount"` // a plan's
	Currency   string `json:"currency"`
	Recurring  *struct {
		Interval      string `json:"interval"`
		IntervalCount int64  `json:"interval_count"`
		UsageType     string `json:"usage_type"`
	} `json:"recurring"`
	Interval      string `json:"interval"` // a plan's
	IntervalCount int64  `json:"interval_count"`
	UsageType     string `json:"usage_type"`
}

// ParseMirrorObject builds the record of a Stripe object of a mirrored type
// from its JSON: type, id, livemode, customer, status, currency, amount and
// created are pulled out, Data keeps the JSON whole. Version, Fetched and
// EventID are the caller's to set. EINVALID for JSON that is not an object
// of a mirrored type.
func ParseMirrorObject(raw []byte) (*MirrorObject, error) {
	var o stripeFields
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, &Error{Code: EINVALID, Message: "The object is not valid JSON.", Err: err}
	}
	if o.ID == "" || o.Object == "" {
		return nil, Errorf(EINVALID, "The object has no id or type.")
	}
	k, ok := mirrorKinds[o.Object]
	if !ok {
		return nil, Errorf(EINVALID, "paywarden does not mirror objects of type %q.", o.Object)
	}
	m := &MirrorObject{
		Type:     o.Object,
		ID:       o.ID,
		Livemode: o.Livemode,
		Customer: customerID(o.Customer),
		Status:   o.Status,
		Currency: strings.ToLower(o.Currency),
		Data:     raw,
	}
	if o.Created > 0 {
		m.Created = time.Unix(o.Created, 0).UTC()
	}
	if k.amount != nil {
		m.Amount = k.amount(&o)
	}
	if k.status != nil {
		m.Status = k.status(&o)
	}
	if o.Object == ObjectSubscription && m.Currency == "" {
		m.Currency = subscriptionCurrency(&o)
	}
	if o.Deleted {
		m.Status = "deleted"
	}
	return m, nil
}

func plainAmount(o *stripeFields) int64 { return o.Amount }

func customerID(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	return obj.ID
}

func activeStatus(o *stripeFields) string {
	switch {
	case o.Active == nil:
		return ""
	case *o.Active:
		return "active"
	}
	return "inactive"
}

func subscriptionCurrency(o *stripeFields) string {
	if o.Items == nil {
		return ""
	}
	for _, it := range o.Items.Data {
		for _, l := range []*recurringLine{it.Price, it.Plan} {
			if l != nil && l.Currency != "" {
				return strings.ToLower(l.Currency)
			}
		}
	}
	return ""
}

// monthlyRevenue returns a subscription's recurring revenue per month in
// minor units, as REPORTS.md defines it: for each licensed item,
// unit_amount × quantity ÷ interval_count, normalised to a month (year
// ÷ 12, week × 52 ÷ 12, day × 365 ÷ 12), less the discounts the JSON holds
// expanded, rounded half up. Metered items are not counted; a discount
// given only by id is not applied (a fetched subscription has them
// expanded). The status is not looked at: the reports decide which
// statuses count.
func monthlyRevenue(o *stripeFields) int64 {
	if o.Items == nil {
		return 0
	}
	total := new(big.Rat)
	interval, count := "", int64(0) // the billing interval, for amount_off
	for _, it := range o.Items.Data {
		l := it.Price
		if l == nil {
			l = it.Plan
		}
		amount, iv, n, metered := l.terms()
		if amount == nil || metered {
			continue
		}
		if interval == "" {
			interval, count = iv, n
		}
		q := int64(1)
		if it.Quantity != nil {
			q = *it.Quantity
		}
		line := new(big.Rat).SetInt64(*amount * q)
		total.Add(total, line.Mul(line, perMonth(iv, n)))
	}
	for _, raw := range o.Discounts {
		applyDiscount(total, raw, perMonth(interval, count))
	}
	if total.Sign() <= 0 {
		return 0
	}
	half := new(big.Rat).Add(total, big.NewRat(1, 2))
	return new(big.Int).Quo(half.Num(), half.Denom()).Int64()
}

// terms returns a price's or plan's amount per interval and its interval.
func (l *recurringLine) terms() (amount *int64, interval string, count int64, metered bool) {
	if l == nil {
		return nil, "", 0, false
	}
	amount, interval, count, usage := l.UnitAmount, l.Interval, l.IntervalCount, l.UsageType
	if amount == nil {
		amount = l.Amount
	}
	if r := l.Recurring; r != nil {
		interval, count, usage = r.Interval, r.IntervalCount, r.UsageType
	}
	if interval == "" {
		return nil, "", 0, false // not recurring
	}
	return amount, interval, count, usage == "metered"
}

// perMonth is the factor that turns an amount per count intervals into an
// amount per month.
func perMonth(interval string, count int64) *big.Rat {
	r := map[string]*big.Rat{"day": big.NewRat(365, 12), "week": big.NewRat(52, 12),
		"month": big.NewRat(1, 1), "year": big.NewRat(1, 12)}[interval]
	if r == nil {
		r = big.NewRat(1, 1)
	}
	return r.Quo(r, big.NewRat(max(count, 1), 1))
}

// applyDiscount takes an expanded discount's coupon off total: percent_off
// as a share, amount_off (per invoice) normalised by the billing interval.
func applyDiscount(total *big.Rat, raw json.RawMessage, billing *big.Rat) {
	var d struct {
		Coupon *coupon `json:"coupon"` // before API version 2025-09-30
		Source *struct {
			Coupon json.RawMessage `json:"coupon"`
		} `json:"source"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return // an id: not expanded
	}
	c := d.Coupon
	if c == nil && d.Source != nil && json.Unmarshal(d.Source.Coupon, &c) != nil {
		return
	}
	if c == nil {
		return
	}
	if p, ok := new(big.Rat).SetString(string(c.PercentOff)); ok {
		total.Mul(total, new(big.Rat).Sub(big.NewRat(1, 1), p.Quo(p, big.NewRat(100, 1))))
	}
	if c.AmountOff != nil {
		total.Sub(total, new(big.Rat).Mul(new(big.Rat).SetInt64(*c.AmountOff), billing))
	}
}

type coupon struct {
	PercentOff json.Number `json:"percent_off"`
	AmountOff  *int64      `json:"amount_off"`
}

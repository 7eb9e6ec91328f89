package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// SubscriptionRow is one period's subscriptions in one currency. MRR
// figures are in the currency's minor unit, and
// StartMRR + New + Expansion + Reactivation − Contraction − Churned = EndMRR.
type SubscriptionRow struct {
	Period   string `json:"period"` // the period's first day, UTC
	Currency string `json:"currency"`
	// Active, Trialing and PastDue count subscriptions at the period's end;
	// Canceled counts those that ended during the period.
	Active   int `json:"active"`
	Trialing int `json:"trialing"`
	PastDue  int `json:"past_due"`
	Canceled int `json:"canceled"`

	StartMRR     int64 `json:"start_mrr"`
	New          int64 `json:"new"`
	Expansion    int64 `json:"expansion"`
	Reactivation int64 `json:"reactivation"`
	Contraction  int64 `json:"contraction"`
	Churned      int64 `json:"churned"`
	EndMRR       int64 `json:"end_mrr"`
	// ChurnRate is Churned ÷ StartMRR; nil when StartMRR is 0.
	ChurnRate *float64 `json:"churn_rate"`
	// Reconstructed counts the subscriptions whose state at the start or
	// the end was reconstructed rather than read from the mirror's history.
	Reconstructed int `json:"reconstructed"`
}

// MeteredItem is a metered (usage-based) item of a subscription that counts
// in MRR: its usage is not recurring revenue, so it is listed, not summed.
type MeteredItem struct {
	Subscription string `json:"subscription"`
	Customer     string `json:"customer"`
	Item         string `json:"item"`
	Price        string `json:"price"`
	Currency     string `json:"currency"`
	Status       string `json:"status"`
}

// States says how the states behind a report were obtained.
type States struct {
	// History counts states read from the mirror's history.
	History int `json:"history"`
	// Reconstructed counts states reconstructed from a later state's
	// created, ended_at and trial dates, for subscriptions the mirror's
	// history does not reach back to (mirrored or backfilled later).
	Reconstructed int `json:"reconstructed"`
}

// SubscriptionsReport is the subscriptions report: counts by status and
// MRR at At (the end of the range), movements over [From, To), and a row
// per period and currency.
type SubscriptionsReport struct {
	Report   string    `json:"report"` // "subscriptions"
	At       time.Time `json:"at"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Interval Interval  `json:"interval"`
	Currency string    `json:"currency,omitempty"`

	Active   int `json:"active"`
	Trialing int `json:"trialing"`
	PastDue  int `json:"past_due"`
	// Canceled counts subscriptions that ended in [From, To).
	Canceled int `json:"canceled"`
	// Statuses counts every status at At, canceled ones of all time included.
	Statuses map[string]int `json:"statuses"`

	MRR          map[string]int64   `json:"mrr"` // at At, by currency
	StartMRR     map[string]int64   `json:"start_mrr"`
	New          map[string]int64   `json:"new"`
	Expansion    map[string]int64   `json:"expansion"`
	Reactivation map[string]int64   `json:"reactivation"`
	Contraction  map[string]int64   `json:"contraction"`
	Churned      map[string]int64   `json:"churned"`
	ChurnRate    map[string]float64 `json:"churn_rate"` // churned ÷ start_mrr, where start_mrr > 0

	States  States            `json:"states"`
	Metered []MeteredItem     `json:"metered"`
	Notes   []string          `json:"notes"`
	Rows    []SubscriptionRow `json:"rows"`
}

// subState is a subscription at one boundary.
type subState struct {
	exists        bool
	status        string
	mrr           int64
	reconstructed bool
}

// subTrack is one subscription across the boundaries of a report.
type subTrack struct {
	id, customer, currency string
	states                 []subState
	// paidUntil is when the subscription ended, if it ended after being
	// paid for: its customer had churned from then on.
	paidUntil time.Time
}

// ComputeSubscriptions computes the subscriptions report
// (REPORTS.md "Subscriptions and MRR").
func ComputeSubscriptions(ctx context.Context, src Source, o Options) (*SubscriptionsReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	ps := periods(o.From, o.To, o.Interval)
	bounds := []time.Time{o.From}
	for _, p := range ps {
		bounds = append(bounds, p.end)
	}
	r := &SubscriptionsReport{Report: Subscriptions, At: o.To, From: o.From, To: o.To, Interval: o.Interval,
		Currency: o.Currency, Statuses: map[string]int{}, Metered: []MeteredItem{}, Notes: []string{}}
	var (
		tracks             []*subTrack
		tiered, unexpanded int
	)
	f := paywarden.MirrorFilter{Type: paywarden.ObjectSubscription, CreatedTo: o.To}
	err := pages(ctx, src, f, func(page []*paywarden.MirrorObject) error {
		ts, t, u, err := trackPage(ctx, src, page, bounds, o.Currency, r)
		tracks, tiered, unexpanded = append(tracks, ts...), tiered+t, unexpanded+u
		return err
	})
	if err != nil {
		return nil, err
	}
	r.Rows = subscriptionRows(ps, bounds, tracks)
	r.totals()
	r.Notes = append(r.Notes,
		"MRR counts active and past_due subscriptions: unit amount × quantity, normalised to a month (year ÷ 12, week × 52 ÷ 12, day × 365 ÷ 12, ÷ interval_count), less the discounts in effect.",
		"A subscription going from 0 to more than 0 is new for a new customer, reactivation for a customer that had churned, and expansion for a customer already paying in that currency.")
	if r.States.Reconstructed > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Subscription states reconstructed: %d. They were reconstructed from created, ended_at and trial dates because the mirror's history does not reach back to them; their items, quantities and discounts are taken from the earliest state recorded.", r.States.Reconstructed))
	}
	if tiered > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Subscription items with tiered prices are not counted in MRR: %d.", tiered))
	}
	if unexpanded > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Discounts held in the mirror as ids only (not expanded), so not applied: %d.", unexpanded))
	}
	return r, nil
}

// pages calls fn with every page of the objects that f selects.
func pages(ctx context.Context, src Source, f paywarden.MirrorFilter, fn func([]*paywarden.MirrorObject) error) error {
	f.Limit = pageSize
	for {
		page, err := src.ListObjects(ctx, f)
		if err != nil {
			return fmt.Errorf("reading %ss from the mirror: %w", f.Type, err)
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		f.StartingAfter = page[len(page)-1].ID
	}
}

// trackPage reads one page of subscriptions as they are now and, from the
// history, as they were at each boundary. It adds to r the statuses and
// metered items at the last boundary and the count of states by basis.
func trackPage(ctx context.Context, src Source, page []*paywarden.MirrorObject, bounds []time.Time, currency string, r *SubscriptionsReport) (
	tracks []*subTrack, tiered, unexpanded int, err error) {
	curs := map[string]*stripeSubscription{}
	var ids []string
	for _, m := range page {
		var s stripeSubscription
		if err := decode(m, &s); err != nil {
			return nil, 0, 0, err
		}
		s.Currency = strings.ToLower(s.Currency)
		if currency != "" && s.Currency != currency {
			continue
		}
		curs[m.ID] = &s
		ids = append(ids, m.ID)
		t := &subTrack{id: m.ID, customer: s.customerID(), currency: s.Currency, states: make([]subState, len(bounds))}
		if t.customer == "" {
			t.customer = "(none) " + m.ID
		}
		if end := unix(s.EndedAt); !end.IsZero() && mrrOf(&s, end.Add(-time.Second)).amount > 0 &&
			(s.TrialEnd == 0 || unix(s.TrialEnd).Before(end)) {
			t.paidUntil = end
		}
		tracks = append(tracks, t)
	}
	last := len(bounds) - 1
	for j, at := range bounds {
		hist, err := src.ObjectsAt(ctx, paywarden.ObjectSubscription, ids, at)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("reading subscription history: %w", err)
		}
		byID := map[string]*stripeSubscription{}
		for _, h := range hist {
			var s stripeSubscription
			if err := decode(h, &s); err != nil {
				return nil, 0, 0, err
			}
			byID[h.ID] = &s
		}
		for _, t := range tracks {
			hist := byID[t.id]
			if hist == nil && !at.Before(unix(curs[t.id].Created)) {
				// The history begins after at: reconstruct from its first state.
				if curs[t.id], err = firstState(ctx, src, t.id, curs[t.id]); err != nil {
					return nil, 0, 0, err
				}
			}
			st, obj := stateAt(hist, curs[t.id], at)
			t.states[j] = st
			if !st.exists {
				continue
			}
			if st.reconstructed {
				r.States.Reconstructed++
			} else {
				r.States.History++
			}
			if j == last {
				res := mrrOf(obj, at)
				tiered, unexpanded = tiered+res.tiered, unexpanded+res.unexpanded
				r.Statuses[st.status]++
				if counted(st.status) {
					for _, l := range res.metered {
						r.Metered = append(r.Metered, MeteredItem{Subscription: t.id, Customer: obj.customerID(),
							Item: l.item, Price: l.price, Currency: l.currency, Status: st.status})
					}
				}
			}
		}
	}
	return tracks, tiered, unexpanded, nil
}

// firstState returns the earliest recorded state of subscription id: the
// closest to a time before the history began, so the best to reconstruct
// from. It returns cur if there is none or cur is that state already.
func firstState(ctx context.Context, src Source, id string, cur *stripeSubscription) (*stripeSubscription, error) {
	if cur.first {
		return cur, nil
	}
	h, err := src.ObjectHistory(ctx, paywarden.ObjectSubscription, id)
	if err != nil {
		return nil, fmt.Errorf("reading subscription history: %w", err)
	}
	first := cur
	if len(h) > 0 {
		first = new(stripeSubscription)
		if err := decode(h[0], first); err != nil {
			return nil, err
		}
	}
	first.first = true
	return first, nil
}

// stateAt is a subscription at t: its state in the history when there is
// one, and otherwise one reconstructed from cur, its earliest recorded
// state.
func stateAt(hist, cur *stripeSubscription, at time.Time) (subState, *stripeSubscription) {
	st, obj := subState{exists: true}, hist
	if hist != nil {
		st.status = hist.Status
	} else {
		if at.Before(unix(cur.Created)) {
			return subState{}, nil
		}
		st.status, st.reconstructed, obj = reconstructStatus(cur, at), true, cur
	}
	if counted(st.status) {
		st.mrr = mrrOf(obj, at).amount
	}
	return st, obj
}

// reconstructStatus guesses the status at t of a subscription created
// before t from what it is now: canceled from ended_at on, trialing within
// its trial, and otherwise as now, or active if it has ended since.
func reconstructStatus(cur *stripeSubscription, t time.Time) string {
	if end := unix(cur.EndedAt); !end.IsZero() && !t.Before(end) {
		return "canceled"
	}
	if ts, te := unix(cur.TrialStart), unix(cur.TrialEnd); !ts.IsZero() && !t.Before(ts) && t.Before(te) {
		return "trialing"
	}
	if cur.Status == "canceled" || cur.Status == "trialing" {
		return "active" // it ended after t, or its trial has not started
	}
	return cur.Status
}

package report

import (
	"slices"
	"time"
)

// movement is where a subscription's change of MRR over a period goes.
type movement int

const (
	none movement = iota
	moveNew
	moveExpansion
	moveReactivation
	moveContraction
	moveChurned
)

// customerMRR sums MRR by customer and currency at each boundary.
type customerMRR map[[2]string][]int64

func newCustomerMRR(tracks []*subTrack, n int) customerMRR {
	c := customerMRR{}
	for _, t := range tracks {
		k := [2]string{t.customer, t.currency}
		if c[k] == nil {
			c[k] = make([]int64, n)
		}
		for j, st := range t.states {
			c[k][j] += st.mrr
		}
	}
	return c
}

// classify files a subscription's change from boundary i to i+1:
//   - 0 → more: expansion if its customer already paid in that currency at
//     i, reactivation if the customer had churned (paid at an earlier
//     boundary, or a subscription of theirs ended after being paid for),
//     new otherwise;
//   - more → 0: churned;
//   - otherwise expansion or contraction by the sign of the change.
func classify(t *subTrack, i int, cust customerMRR, churnedBy map[string]time.Time, bounds []time.Time) movement {
	m0, m1 := t.states[i].mrr, t.states[i+1].mrr
	switch {
	case m0 == m1:
		return none
	case m0 > 0 && m1 == 0:
		return moveChurned
	case m0 == 0:
		c := cust[[2]string{t.customer, t.currency}]
		if c[i] > 0 {
			return moveExpansion
		}
		if slices.ContainsFunc(c[:i], func(v int64) bool { return v > 0 }) {
			return moveReactivation
		}
		if end, ok := churnedBy[t.customer+"\x00"+t.currency]; ok && !end.After(bounds[i]) {
			return moveReactivation
		}
		return moveNew
	case m1 > m0:
		return moveExpansion
	}
	return moveContraction
}

// subscriptionRows lays out a row per period and per currency that has a
// subscription at any boundary.
func subscriptionRows(ps []period, bounds []time.Time, tracks []*subTrack) []SubscriptionRow {
	cust := newCustomerMRR(tracks, len(bounds))
	churnedBy := map[string]time.Time{} // customer, currency → the earliest end of a paid subscription
	curSet := map[string]bool{}
	for _, t := range tracks {
		if slices.ContainsFunc(t.states, func(s subState) bool { return s.exists }) {
			curSet[t.currency] = true
		}
		if t.paidUntil.IsZero() {
			continue
		}
		k := t.customer + "\x00" + t.currency
		if e, ok := churnedBy[k]; !ok || t.paidUntil.Before(e) {
			churnedBy[k] = t.paidUntil
		}
	}
	var curs []string
	for c := range curSet {
		curs = append(curs, c)
	}
	slices.Sort(curs)
	rows := []SubscriptionRow{}
	for i, p := range ps {
		byCur := map[string]*SubscriptionRow{}
		for _, c := range curs {
			byCur[c] = &SubscriptionRow{Period: p.label(), Currency: c}
		}
		for _, t := range tracks {
			if row := byCur[t.currency]; row != nil {
				addToRow(row, t, i, classify(t, i, cust, churnedBy, bounds))
			}
		}
		for _, c := range curs {
			row := byCur[c]
			if row.StartMRR > 0 {
				rate := float64(row.Churned) / float64(row.StartMRR)
				row.ChurnRate = &rate
			}
			rows = append(rows, *row)
		}
	}
	return rows
}

func addToRow(row *SubscriptionRow, t *subTrack, i int, mv movement) {
	s0, s1 := t.states[i], t.states[i+1]
	if (s0.exists && s0.reconstructed) || (s1.exists && s1.reconstructed) {
		row.Reconstructed++
	}
	switch s1.status {
	case "active":
		row.Active++
	case "trialing":
		row.Trialing++
	case "past_due":
		row.PastDue++
	case "canceled":
		if s0.status != "canceled" {
			row.Canceled++
		}
	}
	row.StartMRR += s0.mrr
	row.EndMRR += s1.mrr
	d := s1.mrr - s0.mrr
	switch mv {
	case moveNew:
		row.New += d
	case moveExpansion:
		row.Expansion += d
	case moveReactivation:
		row.Reactivation += d
	case moveContraction:
		row.Contraction -= d
	case moveChurned:
		row.Churned -= d
	}
}

// totals fills the report's figures for the whole range from its rows.
func (r *SubscriptionsReport) totals() {
	r.MRR, r.StartMRR = map[string]int64{}, map[string]int64{}
	r.New, r.Expansion, r.Reactivation = map[string]int64{}, map[string]int64{}, map[string]int64{}
	r.Contraction, r.Churned, r.ChurnRate = map[string]int64{}, map[string]int64{}, map[string]float64{}
	seen := map[string]bool{}
	for _, row := range r.Rows {
		c := row.Currency
		if !seen[c] {
			seen[c] = true
			r.StartMRR[c] = row.StartMRR
		}
		r.MRR[c] = row.EndMRR
		r.New[c] += row.New
		r.Expansion[c] += row.Expansion
		r.Reactivation[c] += row.Reactivation
		r.Contraction[c] += row.Contraction
		r.Churned[c] += row.Churned
		r.Canceled += row.Canceled
	}
	for c, start := range r.StartMRR {
		if start > 0 {
			r.ChurnRate[c] = float64(r.Churned[c]) / float64(start)
		}
	}
	r.Active, r.Trialing, r.PastDue = r.Statuses["active"], r.Statuses["trialing"], r.Statuses["past_due"]
}

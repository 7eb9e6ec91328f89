package ui

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// revenueQuery is the revenue page's form: from and to dates (UTC, to
// exclusive), interval and an optional currency.
type revenueQuery struct {
	From, To  string
	Interval  string
	Currency  string
	from, to  time.Time
	Intervals []string
}

func (u *UI) parseRevenueQuery(r *http.Request) (*revenueQuery, error) {
	q := r.URL.Query()
	now := u.o.Now().UTC()
	rq := &revenueQuery{From: q.Get("from"), To: q.Get("to"), Interval: q.Get("interval"),
		Currency: strings.ToLower(strings.TrimSpace(q.Get("currency"))), Intervals: []string{"day", "week", "month"}}
	if rq.Interval == "" {
		rq.Interval = "month"
	}
	if !slices.Contains(rq.Intervals, rq.Interval) {
		return nil, &paywarden.Error{Code: paywarden.EINVALID, Message: "interval: want day, week or month", Param: "interval"}
	}
	if rq.To == "" {
		rq.To = now.AddDate(0, 0, 1).Format(time.DateOnly)
	}
	if rq.From == "" {
		rq.From = now.AddDate(0, -6, 0).Format(time.DateOnly)
	}
	var err error
	if rq.from, err = parseDay(rq.From, "from"); err != nil {
		return nil, err
	}
	if rq.to, err = parseDay(rq.To, "to"); err != nil {
		return nil, err
	}
	if !rq.from.Before(rq.to) {
		return nil, &paywarden.Error{Code: paywarden.EINVALID, Message: "from must be before to", Param: "from"}
	}
	return rq, nil
}

type revenueData struct {
	Query     *revenueQuery
	CSVURL    template.URL
	Available bool
	Rows      []RevenueRow
	Charts    []*chart // one per currency
	SubsKnown bool
	Subs      *Subscriptions
	Statuses  []string
	MRRCharts []*chart
}

// revenue charts the revenue report by currency and interval, and the
// subscriptions report's MRR by currency.
func (u *UI) revenue(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	ctx := r.Context()
	rq, err := u.parseRevenueQuery(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := &revenueData{Query: rq, Available: u.o.Revenue != nil, SubsKnown: u.o.Subscriptions != nil}
	// Built from url.Values, so every part is escaped: safe as a URL.
	d.CSVURL = template.URL("/ui/revenue.csv?" + url.Values{"from": {rq.From}, "to": {rq.To},
		"interval": {rq.Interval}, "currency": {rq.Currency}}.Encode())
	if d.Available {
		if d.Rows, err = u.revenueRows(r, rq); err != nil {
			u.fail(w, r, err)
			return
		}
		d.Charts = revenueCharts(d.Rows)
	}
	if d.SubsKnown {
		if d.Subs, err = u.o.Subscriptions(ctx, u.o.Now()); err != nil {
			u.fail(w, r, err)
			return
		}
		if d.Subs != nil {
			for st := range d.Subs.ByStatus {
				d.Statuses = append(d.Statuses, st)
			}
			slices.Sort(d.Statuses)
			d.MRRCharts = mrrCharts(d.Subs.MRR)
		}
	}
	u.render(w, r, http.StatusOK, "revenue", sessionPage(s, "revenue", "Revenue and MRR", d))
}

func (u *UI) revenueRows(r *http.Request, rq *revenueQuery) ([]RevenueRow, error) {
	rows, err := u.o.Revenue(r.Context(), rq.from, rq.to, rq.Interval)
	if err != nil {
		return nil, err
	}
	if rq.Currency != "" {
		rows = slices.DeleteFunc(rows, func(row RevenueRow) bool { return !strings.EqualFold(row.Currency, rq.Currency) })
	}
	return rows, nil
}

// revenueCharts draws gross, refunded, disputed, fees and net per period,
// one chart per currency: amounts of different currencies do not add up.
func revenueCharts(rows []RevenueRow) []*chart {
	byCur := map[string][]group{}
	var curs []string
	for _, row := range rows {
		c := strings.ToLower(row.Currency)
		if _, ok := byCur[c]; !ok {
			curs = append(curs, c)
		}
		byCur[c] = append(byCur[c], group{Label: row.Period,
			Values: []int64{row.Gross, row.Refunded, row.Disputed, row.Fees, row.Net}})
	}
	slices.Sort(curs)
	ss := []series{{"gross", "c-gross"}, {"refunded", "c-refunded"}, {"disputed", "c-disputed"}, {"fees", "c-fees"}, {"net", "c-net"}}
	var out []*chart
	for _, c := range curs {
		out = append(out, barChart("Revenue in "+strings.ToUpper(c), ss, byCur[c], func(v int64) string { return money(v, c) }))
	}
	return out
}

// mrrCharts draws, per currency, how MRR moved: new and expansion up,
// contraction and churn down.
func mrrCharts(ms []MRR) []*chart {
	var out []*chart
	for _, m := range ms {
		c := strings.ToLower(m.Currency)
		out = append(out, barChart("MRR in "+strings.ToUpper(c)+": "+money(m.MRR, c),
			[]series{{"movement", "c-net"}},
			[]group{{"new", []int64{m.New}}, {"expansion", []int64{m.Expansion}},
				{"contraction", []int64{-abs(m.Contraction)}}, {"churned", []int64{-abs(m.Churned)}}},
			func(v int64) string { return money(v, c) }))
	}
	return out
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// revenueCSV downloads the revenue rows of the page's query, amounts in
// minor units as the report's CSV has them.
func (u *UI) revenueCSV(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	if u.o.Revenue == nil {
		u.fail(w, r, paywarden.Errorf(paywarden.ENOTFOUND, "The revenue report is not available in this build."))
		return
	}
	rq, err := u.parseRevenueQuery(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rows, err := u.revenueRows(r, rq)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="revenue-`+rq.From+`-`+rq.To+`-`+rq.Interval+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"period", "currency", "gross", "refunded", "disputed", "fees", "net", "count"})
	for _, row := range rows {
		cw.Write([]string{csvSafe(row.Period), csvSafe(strings.ToLower(row.Currency)), i64(row.Gross), i64(row.Refunded),
			i64(row.Disputed), i64(row.Fees), i64(row.Net), strconv.Itoa(row.Count)})
	}
	cw.Flush()
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

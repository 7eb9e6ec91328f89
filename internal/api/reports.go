package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/paywarden/paywarden/internal/report"
)

// Reports are computed from the mirror (package report) and never call
// Stripe, so a reporting service needs a reports:read token and no Stripe
// key. Amounts are per currency, in minor units.

func (a *API) revenueReport(w http.ResponseWriter, r *http.Request) error {
	return a.serveReport(w, r, report.Revenue, true, "from", "to", "currency", "interval", "format")
}

func (a *API) subscriptionsReport(w http.ResponseWriter, r *http.Request) error {
	return a.serveReport(w, r, report.Subscriptions, false, "at", "from", "to", "currency", "interval", "format")
}

func (a *API) payoutsReport(w http.ResponseWriter, r *http.Request) error {
	return a.serveReport(w, r, report.Payouts, true, "from", "to", "currency", "interval", "format")
}

// serveReport reads the query, computes the report of kind and answers in
// JSON or CSV. needRange requires from and to, as PRODUCT.md §5 lists them
// without a default for revenue and payouts.
func (a *API) serveReport(w http.ResponseWriter, r *http.Request, kind string, needRange bool, allowed ...string) error {
	q := r.URL.Query()
	if err := query(q, allowed...); err != nil {
		return err
	}
	if needRange {
		for _, p := range []string{"from", "to"} {
			if q.Get(p) == "" {
				return invalid(p, "%s is required: a date such as 2026-01-31 or an RFC 3339 time.", p)
			}
		}
	}
	format := q.Get("format")
	if format == "" {
		format = report.FormatJSON
	}
	if _, err := report.ParseFormat(format, report.FormatJSON, report.FormatCSV); err != nil {
		return invalid("format", "format must be json or csv.")
	}
	o, err := report.Params{From: q.Get("from"), To: q.Get("to"), At: q.Get("at"), Interval: q.Get("interval"),
		Currency: q.Get("currency")}.Options(kind, a.now())
	if err != nil {
		return err
	}
	var rep report.Report
	switch kind {
	case report.Revenue:
		var rr *report.RevenueReport
		if rr, err = report.ComputeRevenue(r.Context(), a.store, o); err == nil {
			w.Header().Set("Paywarden-Report-Source", rr.Source)
			rep = rr
		}
	case report.Subscriptions:
		rep, err = report.ComputeSubscriptions(r.Context(), a.store, o)
	case report.Payouts:
		rep, err = report.ComputePayouts(r.Context(), a.store, o)
	}
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := report.Write(&b, rep, format); err != nil {
		return err
	}
	if format == report.FormatCSV {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`,
			kind, o.From.Format(time.DateOnly), o.To.Format(time.DateOnly)))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write(b.Bytes()) // the status is sent: a failed write has no one left to tell
		return nil
	}
	writeRaw(w, http.StatusOK, b.Bytes())
	return nil
}

// Every Store can feed the reports.
var _ report.Source = Store(nil)

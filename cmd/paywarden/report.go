package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/paywarden/paywarden"
	reports "github.com/paywarden/paywarden/internal/report"
)

func init() {
	commands["report"] = command{summary: "revenue, subscriptions and payouts from the mirror", run: runReport}
}

const reportUsage = `Usage:
  paywarden report revenue       [--from D] [--to D] [--currency C] [--interval day|week|month] [--format text|csv|json]
  paywarden report subscriptions [--from D] [--to D | --at T] [--currency C] [--interval day|week|month] [--format text|csv|json]
  paywarden report payouts       [--from D] [--to D] [--currency C] [--interval day|week|month] [--format text|csv|json]

Reports read the local mirror (PAYWARDEN_DATABASE_URL) and need no Stripe key.
D is a date (2026-01-31, midnight UTC) or an RFC 3339 time; --from is inclusive,
--to exclusive (default now). Amounts are per currency, in the currency's minor
unit (cents for USD, yen for JPY).

revenue        gross, refunded, disputed, fees, net and count per period and
               currency; from balance transactions when mirrored, otherwise from
               charges, refunds and disputes (fees unknown). The output names its source.
subscriptions  active, trialing, past_due and canceled counts, MRR by currency, and
               new, expansion, reactivation, contraction and churned MRR per period.
               --at T is the end of the range; without --from, the month up to it.
payouts        payouts by arrival date, status and currency.

Definitions: docs/REPORTING.md.
`

func runReport(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, reportUsage)
		return usageErrorf("report: want a report: revenue, subscriptions or payouts")
	}
	kind, args := e.args[0], e.args[1:]
	switch kind {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, reportUsage)
		return nil
	case reports.Revenue, reports.Subscriptions, reports.Payouts:
	default:
		fmt.Fprint(e.stderr, reportUsage)
		return usageErrorf("report: unknown report %q", kind)
	}
	fs := flag.NewFlagSet("report "+kind, flag.ContinueOnError)
	var p reports.Params
	fs.StringVar(&p.From, "from", "", "start of the range, inclusive: a date or an RFC 3339 time")
	fs.StringVar(&p.To, "to", "", "end of the range, exclusive (default now)")
	if kind == reports.Subscriptions {
		fs.StringVar(&p.At, "at", "", "the moment of the counts and MRR: the end of the range")
	}
	fs.StringVar(&p.Currency, "currency", "", "only this currency, such as usd")
	fs.StringVar(&p.Interval, "interval", "", "day, week or month (default month; day for payouts)")
	format := fs.String("format", reports.FormatText, "text, csv or json")
	fs.Usage = func() { fmt.Fprint(fs.Output(), reportUsage) }
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("report %s: unexpected argument %q", kind, fs.Arg(0))
	}
	if _, err := reports.ParseFormat(*format, reports.FormatText, reports.FormatCSV, reports.FormatJSON); err != nil {
		return usageErrorf("report %s: --format must be text, csv or json", kind)
	}
	o, err := p.Options(kind, time.Now())
	if err != nil {
		return usageErrorf("report %s: %s", kind, flagMessage(err))
	}
	st, err := envStore(ctx, e, "report", false)
	if err != nil {
		return err
	}
	defer st.Close()
	var rep reports.Report
	switch kind {
	case reports.Revenue:
		rep, err = reports.ComputeRevenue(ctx, st, o)
	case reports.Subscriptions:
		rep, err = reports.ComputeSubscriptions(ctx, st, o)
	case reports.Payouts:
		rep, err = reports.ComputePayouts(ctx, st, o)
	}
	if err != nil {
		return fmt.Errorf("report %s: %w", kind, err)
	}
	return reports.Write(e.stdout, rep, *format)
}

// flagMessage names the flag at fault in a parameter error.
func flagMessage(err error) string {
	if e, ok := err.(*paywarden.Error); ok && e.Param != "" {
		return "--" + e.Param + ": " + e.Message
	}
	return paywarden.ErrorMessage(err)
}

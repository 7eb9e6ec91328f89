package main

import (
	"context"
	"fmt"
	"time"

	"github.com/paywarden/paywarden"
	reports "github.com/paywarden/paywarden/internal/report"
)

func init() {
	commands["report"] = command{summary: "revenue, subscriptions and payouts from the mirror", run: reportGroup.run}
}

var reportGroup = group{name: "report",
	purpose: "reports from the local mirror (PAYWARDEN_DATABASE_URL); no Stripe key needed. Definitions: docs/REPORTING.md",
	subs: []subcommand{
		{reports.Revenue, "gross, refunded, disputed, fees, net and count per period and currency", reportCommand(reports.Revenue)},
		{reports.Subscriptions, "subscription counts, MRR by currency and MRR movements per period", reportCommand(reports.Subscriptions)},
		{reports.Payouts, "payouts by arrival date, status and currency", reportCommand(reports.Payouts)},
	}}

const reportNote = `D is a date (2026-01-31, midnight UTC) or an RFC 3339 time; --from is inclusive,
--to exclusive (default now). Amounts are per currency, in the currency's minor
unit (cents for USD, yen for JPY). Revenue comes from balance transactions when
they are mirrored, otherwise from charges, refunds and disputes (fees unknown);
the output names its source. Definitions: docs/REPORTING.md.`

// reportCommand runs one report.
func reportCommand(kind string) func(ctx context.Context, e *env) error {
	return func(ctx context.Context, e *env) error {
		c := newCmdline("report "+kind, "the "+kind+" report, from the mirror; no Stripe key needed").
			note(reportNote).
			example("paywarden report "+kind+" --from 2026-01-01 --to 2026-04-01 --interval month",
				"paywarden report "+kind+" --from 2026-01-01 --format csv > "+kind+".csv")
		var p reports.Params
		c.fs.StringVar(&p.From, "from", "", "start of the range, inclusive: a date or an RFC 3339 time `D`")
		c.fs.StringVar(&p.To, "to", "", "end of the range, exclusive (default now) `D`")
		if kind == reports.Subscriptions {
			c.fs.StringVar(&p.At, "at", "", "the moment `T` of the counts and MRR: the end of the range")
		}
		c.fs.StringVar(&p.Currency, "currency", "", "only this `CURRENCY`, such as usd")
		c.fs.StringVar(&p.Interval, "interval", "", "`INTERVAL`: day, week or month (default month; day for payouts)")
		format := c.format(reports.FormatText, reports.FormatCSV, reports.FormatJSON)
		c.database()
		if err := c.parse(e); err != nil {
			return err
		}
		if err := c.checkFormat(*format, reports.FormatText, reports.FormatCSV, reports.FormatJSON); err != nil {
			return err
		}
		o, err := p.Options(kind, time.Now())
		if err != nil {
			return c.usageError("%s", flagMessage(err))
		}
		st, s, err := c.openExisting(ctx, e)
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
			return s.safe(fmt.Errorf("report %s: %w", kind, err))
		}
		return reports.Write(e.stdout, rep, *format)
	}
}

// flagMessage names the flag at fault in a parameter error.
func flagMessage(err error) string {
	if e, ok := err.(*paywarden.Error); ok && e.Param != "" {
		return "--" + e.Param + ": " + e.Message
	}
	return paywarden.ErrorMessage(err)
}

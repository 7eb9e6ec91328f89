package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/paywarden/paywarden"
)

// Formats a report is written in.
const (
	FormatText = "text"
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ParseFormat reads text, csv or json; allowed lists what the caller
// offers. EINVALID otherwise.
func ParseFormat(s string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", paywarden.Errorf(paywarden.EINVALID, "format must be %s", strings.Join(allowed, " or "))
}

// Report is a computed report: *RevenueReport, *SubscriptionsReport or
// *PayoutsReport.
type Report interface {
	table() table
}

// table is a report laid out for CSV and text.
type table struct {
	title   string
	summary []string // lines printed above the text table
	header  []string
	rows    [][]string
	text    [][]string // text only: extra sections, each a title and lines
	notes   []string
}

// Write writes rep in format (FormatText, FormatCSV or FormatJSON). Text
// escapes non-printable characters, since mirrored JSON can hold any.
func Write(w io.Writer, rep Report, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatCSV:
		t := rep.table()
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		for _, r := range t.rows {
			cw.Write(r)
		}
		cw.Flush()
		return cw.Error()
	case FormatText:
		return writeText(w, rep.table())
	}
	return paywarden.Errorf(paywarden.EINVALID, "unknown format %q", format)
}

func writeText(w io.Writer, t table) error {
	var b strings.Builder
	b.WriteString(printable(t.title) + "\n")
	for _, s := range t.summary {
		b.WriteString(printable(s) + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, h := range t.header {
		fmt.Fprintf(tw, "%s\t", strings.ToUpper(h))
	}
	fmt.Fprintln(tw)
	for _, r := range t.rows {
		for _, c := range r {
			if c == "" {
				c = "-" // unknown, as fees without balance transactions
			}
			fmt.Fprintf(tw, "%s\t", printable(c))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(t.rows) == 0 {
		b.WriteString("(no rows)\n")
	}
	for _, sec := range t.text {
		b.WriteString("\n" + printable(sec[0]) + "\n")
		for _, l := range sec[1:] {
			b.WriteString("  " + printable(l) + "\n")
		}
	}
	if len(t.notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range t.notes {
			b.WriteString("- " + printable(n) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printable escapes every character that is not printable, so that text
// from the mirror cannot move the cursor or forge lines on a terminal.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRuneToASCII(r) // '\x1b'
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// cell keeps a text field of a CSV from being read as a formula by a
// spreadsheet.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func rangeLine(from, to time.Time, iv Interval) string {
	return fmt.Sprintf("From %s to %s (exclusive), by %s, UTC. Amounts in each currency's minor unit (cents for USD, yen for JPY).",
		from.Format(time.RFC3339), to.Format(time.RFC3339), iv)
}

func (r *RevenueReport) table() table {
	t := table{
		title:   "Revenue",
		summary: []string{rangeLine(r.From, r.To, r.Interval), "Source: " + r.Source + "."},
		header:  []string{"period", "currency", "gross", "refunded", "disputed", "fees", "net", "count", "source"},
		notes:   r.Notes,
	}
	if !r.FeesKnown {
		t.summary = append(t.summary, "Fees: unknown (no balance transactions are mirrored); net is before fees.")
	}
	for _, row := range r.Rows {
		fees := ""
		if row.Fees != nil {
			fees = itoa(*row.Fees)
		}
		t.rows = append(t.rows, []string{row.Period, cell(row.Currency), itoa(row.Gross), itoa(row.Refunded),
			itoa(row.Disputed), fees, itoa(row.Net), itoa(row.Count), r.Source})
	}
	return t
}

func (r *SubscriptionsReport) table() table {
	t := table{
		title: "Subscriptions",
		summary: []string{rangeLine(r.From, r.To, r.Interval),
			fmt.Sprintf("At %s: %d active, %d trialing, %d past_due; %d canceled in the range.",
				r.At.Format(time.RFC3339), r.Active, r.Trialing, r.PastDue, r.Canceled),
			fmt.Sprintf("States: %d from the mirror's history, %d reconstructed.", r.States.History, r.States.Reconstructed)},
		header: []string{"period", "currency", "active", "trialing", "past_due", "canceled", "start_mrr", "new",
			"expansion", "reactivation", "contraction", "churned", "end_mrr", "churn_rate", "reconstructed"},
		notes: r.Notes,
	}
	for _, row := range r.Rows {
		rate := ""
		if row.ChurnRate != nil {
			rate = strconv.FormatFloat(*row.ChurnRate, 'f', 4, 64)
		}
		t.rows = append(t.rows, []string{row.Period, cell(row.Currency), strconv.Itoa(row.Active),
			strconv.Itoa(row.Trialing), strconv.Itoa(row.PastDue), strconv.Itoa(row.Canceled), itoa(row.StartMRR),
			itoa(row.New), itoa(row.Expansion), itoa(row.Reactivation), itoa(row.Contraction), itoa(row.Churned),
			itoa(row.EndMRR), rate, strconv.Itoa(row.Reconstructed)})
	}
	mrr := []string{"MRR at " + r.At.Format(time.RFC3339) + " by currency:"}
	for _, c := range sortedKeys(r.MRR) {
		mrr = append(mrr, fmt.Sprintf("%s %d", c, r.MRR[c]))
	}
	t.text = append(t.text, mrr)
	if len(r.Metered) > 0 {
		sec := []string{"Metered items, not in MRR:"}
		for _, m := range r.Metered {
			sec = append(sec, fmt.Sprintf("%s %s price %s (%s, %s)", m.Subscription, m.Item, m.Price, m.Currency, m.Status))
		}
		t.text = append(t.text, sec)
	}
	return t
}

func (r *PayoutsReport) table() table {
	t := table{
		title:   "Payouts",
		summary: []string{rangeLine(r.From, r.To, r.Interval)},
		header:  []string{"period", "status", "currency", "amount", "count"},
		notes:   r.Notes,
	}
	for _, row := range r.Rows {
		t.rows = append(t.rows, []string{row.Period, cell(row.Status), cell(row.Currency), itoa(row.Amount), itoa(row.Count)})
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

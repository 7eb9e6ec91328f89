package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ANSI colours for the text format on a terminal.
var severityColor = map[Severity]string{
	Critical: "\x1b[1;35m",
	High:     "\x1b[1;31m",
	Medium:   "\x1b[33m",
	Low:      "\x1b[36m",
	Info:     "\x1b[2m",
}

const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

// WriteText writes r for people: findings grouped by file, each with its
// fix, then one summary line. color adds ANSI colours.
func WriteText(w io.Writer, r *Report, color bool) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	last := ""
	for _, f := range r.Findings {
		if f.Path != last {
			if last != "" {
				fmt.Fprintln(bw)
			}
			fmt.Fprintln(bw, paint(ansiBold, f.Path))
			last = f.Path
		}
		pos := fmt.Sprintf("%d:%d", f.Line, f.Column)
		fmt.Fprintf(bw, "  %-8s %s  %s  %s\n", pos, paint(severityColor[f.Severity], fmt.Sprintf("%-8s", f.Severity)), f.RuleID, f.Message)
		if f.Commit != "" {
			fmt.Fprintf(bw, "  %-8s %s\n", "", paint(ansiDim, "first added in commit "+f.Commit))
		}
		fmt.Fprintf(bw, "  %-8s %s\n", "", paint(ansiDim, "fix: "+f.Fix))
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(bw)
	}
	fmt.Fprintln(bw, summaryLine(r))
	for _, n := range r.Summary.Notes {
		fmt.Fprintln(bw, "note: "+n)
	}
	for _, n := range r.Summary.Incomplete {
		fmt.Fprintln(bw, "not scanned: "+n)
	}
	return bw.Flush()
}

// summaryLine says in one line what was found in what.
func summaryLine(r *Report) string {
	s := r.Summary
	var b strings.Builder
	if s.Findings == 0 {
		b.WriteString("no findings")
	} else {
		fmt.Fprintf(&b, "%d finding%s (", s.Findings, plural(s.Findings))
		first := true
		for sev := Critical; sev >= Info; sev-- {
			if n := s.BySeverity[sev.String()]; n > 0 {
				if !first {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%d %s", n, sev)
				first = false
			}
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " in %d file%s (%.1f MiB, %d parsed)", s.Files, plural(s.Files), float64(s.Bytes)/(1<<20), s.Parsed)
	if s.Skipped > 0 {
		fmt.Fprintf(&b, ", %d binary or large file%s skipped", s.Skipped, plural(s.Skipped))
	}
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, ", %d suppressed", s.Suppressed)
	}
	if s.Baselined > 0 {
		fmt.Fprintf(&b, ", %d in baseline", s.Baselined)
	}
	if len(s.Incomplete) > 0 {
		fmt.Fprintf(&b, "; INCOMPLETE: %d problem%s", len(s.Incomplete), plural(len(s.Incomplete)))
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteJSON writes r as one JSON object with "findings" and "summary".
func WriteJSON(w io.Writer, r *Report) error {
	out := *r
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

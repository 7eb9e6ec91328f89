// Package audit finds the Stripe security mistakes in a source tree: leaked
// keys and webhook secrets, unverified webhooks, unpinned API versions,
// swallowed Stripe errors and risky dependencies.
//
// It is an island: it imports nothing of the paywarden server, so that the
// scanner can be reasoned about, tested and benchmarked on its own. The
// command in cmd/paywarden/audit.go only parses flags and prints a Report.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Severity ranks a finding. The zero value is Info.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name of s.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name such as "high".
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, low, medium, high or critical)", name)
}

// MarshalText encodes s as its name, so JSON output reads "high", not 3.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// lower returns s one step lower, but never below Low: a secret in a test
// file is still a secret.
func (s Severity) lower() Severity {
	if s <= Low {
		return s
	}
	return s - 1
}

// Finding is one problem found in one place.
type Finding struct {
	RuleID      string   `json:"rule"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Path        string   `json:"path"`   // slash-separated, as the user named the scanned tree
	Line        int      `json:"line"`   // 1-based; 0 when the finding is about a whole file
	Column      int      `json:"column"` // 1-based, in Unicode code points
	Message     string   `json:"message"`
	Fix         string   `json:"fix"`
	CWE         string   `json:"cwe"`
	Fingerprint string   `json:"fingerprint"`
	// Commit is the first commit that added the content, for findings
	// from --history.
	Commit string `json:"commit,omitempty"`
	// Secret describes a found secret without revealing it.
	Secret *Redacted `json:"secret,omitempty"`

	relPath string // path relative to the scan root: the fingerprint's input
	treeArg string // the root the finding belongs to, as the user named it
	// fromHistory marks findings in old blobs, whose lines no inline
	// suppression of the work tree can speak for.
	fromHistory bool
	anchor      string // what the fingerprint hashes besides rule and path
}

// Redacted is what may be shown of a secret: its prefix, its length and
// its last four characters. Never more.
type Redacted struct {
	Prefix string `json:"prefix"`
	Length int    `json:"length"`
	Last4  string `json:"last4"`
}

// redact describes secret, whose kind prefix (such as "sk_live_") is prefix.
func redact(prefix, secret string) *Redacted {
	last := secret
	if len(last) > 4 {
		last = last[len(last)-4:]
	}
	return &Redacted{Prefix: prefix, Length: len(secret), Last4: last}
}

// String renders r as "sk_live_…abcd (32 chars)".
func (r *Redacted) String() string {
	return fmt.Sprintf("%s…%s (%d chars)", r.Prefix, r.Last4, r.Length)
}

// hashSecret is the fingerprint anchor of a secret: the same key found
// anywhere in the same file fingerprints the same, whatever line it moves to.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte("paywarden-secret\x00" + s))
	return hex.EncodeToString(sum[:])
}

// fingerprint computes a finding's stable identity from its rule, its path
// relative to the scan root and its anchor (a secret's hash or a normalized
// code line), plus an ordinal that tells apart repeats of the same anchor.
// Line numbers are deliberately left out, so that edits above a finding do
// not make a baseline go stale.
func fingerprint(rule, relPath, anchor string, ordinal int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d", rule, relPath, anchor, ordinal)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// codeAnchor normalizes a source line for fingerprinting: runs of
// whitespace collapse, so reindenting code keeps its fingerprints.
func codeAnchor(line string) string {
	return strings.Join(strings.Fields(line), " ")
}

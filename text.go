package paywarden

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text field limits: what a store keeps in a text column. Stripe's own ids,
// types and versions are far shorter.
const (
	MaxIDLen   = 255 // ids: evt_..., pi_..., an endpoint's name
	MaxTypeLen = 100 // event and object types, API versions, statuses, currencies
)

// PrintableText reports whether s is valid UTF-8 with no control
// characters (NUL, ESC, DEL, C1, ...). Such strings are safe in every
// store's text columns (PostgreSQL refuses NUL and invalid UTF-8 where
// SQLite keeps them) and on an operator's terminal.
func PrintableText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unicode.IsControl(r) {
			return false
		}
		i += n
	}
	return true
}

// checkText returns an EINVALID error naming field (never quoting the
// value, which may be anything) when s is longer than max bytes or is not
// PrintableText. An empty s passes; callers that need a value check that.
func checkText(what, field, s string, max int) error {
	if len(s) > max {
		return Errorf(EINVALID, "%s: %s is longer than %d bytes", what, field, max)
	}
	if !PrintableText(s) {
		return Errorf(EINVALID, "%s: %s holds control characters or invalid UTF-8", what, field)
	}
	return nil
}

// LooksLikeSecret reports whether s holds something shaped like a secret
// paywarden guards: a Stripe secret or restricted key, a webhook signing
// secret, a paywarden token, or a PaymentIntent/SetupIntent client secret.
// Names, labels and identifiers that paywarden stores or prints must not:
// a key pasted into a name would be kept and shown as a name.
func LooksLikeSecret(s string) bool {
	for _, p := range secretMarks {
		for rest := s; ; {
			i := strings.Index(rest, p)
			if i < 0 {
				break
			}
			rest = rest[i+len(p):]
			if alnumPrefix(rest) >= 8 && (p != "_secret_" || i > 0) {
				return true
			}
		}
	}
	return false
}

// secretMarks precede the random part of each secret shape.
var secretMarks = []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "pwk_", "_secret_"}

// alnumPrefix counts the letters and digits at the start of s.
func alnumPrefix(s string) int {
	n := 0
	for n < len(s) && ('a' <= s[n] && s[n] <= 'z' || 'A' <= s[n] && s[n] <= 'Z' || '0' <= s[n] && s[n] <= '9') {
		n++
	}
	return n
}

// EscapeText returns s with everything PrintableText refuses written as a
// Go escape (\x1b, \u0085, \ufffd for invalid UTF-8), so that text from
// outside (an event's type, a name) printed to an operator's terminal can
// neither move the cursor nor rewrite what is shown. Printable text comes
// back unchanged.
func EscapeText(s string) string {
	if PrintableText(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || unicode.IsControl(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

package paywarden

import (
	"strings"
	"testing"
	"time"
)

func TestPrintableText(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"customer.updated", true},
		{"2026-03-25.dahlia", true},
		{"Zürich café ✓", true},
		{"", true},
		{"a\x00b", false},
		{"payment_intent.\x1b[31msucceeded", false},
		{"tab\there", false},
		{"del\x7f", false},
		{"c1\u0085", false},
		{"bad\xffutf8", false},
	} {
		if got := PrintableText(tc.s); got != tc.want {
			t.Errorf("PrintableText(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// Every store refuses the same events: what PostgreSQL cannot keep in a
// text column (NUL, invalid UTF-8) is refused by the domain for both, and
// the error never echoes the bad value.
func TestEventValidateText(t *testing.T) {
	ok := Event{ID: "evt_1", Type: "customer.updated", APIVersion: "2026-03-25.dahlia",
		ObjectID: "cus_1", ObjectType: "customer", Endpoint: "default", Created: time.Unix(1, 0)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid event: %v", err)
	}
	for name, mutate := range map[string]func(e *Event){
		"NUL in type":         func(e *Event) { e.Type = "customer.\x00updated" },
		"NUL in api_version":  func(e *Event) { e.APIVersion = "2026-03-25\x00" },
		"NUL in object type":  func(e *Event) { e.ObjectType = "cus\x00tomer" },
		"ESC in type":         func(e *Event) { e.Type = "\x1b]0;pwned\x07" },
		"invalid UTF-8 in id": func(e *Event) { e.ID = "evt_\xff" },
		"long type":           func(e *Event) { e.Type = strings.Repeat("a", MaxTypeLen+1) },
		"long object id":      func(e *Event) { e.ObjectID = strings.Repeat("a", MaxIDLen+1) },
	} {
		e := ok
		mutate(&e)
		err := e.Validate()
		if ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate() = %v, want EINVALID", name, err)
			continue
		}
		if !PrintableText(err.Error()) {
			t.Errorf("%s: the error %q echoes the bad value", name, err)
		}
	}
}

func TestMirrorObjectValidateText(t *testing.T) {
	o := MirrorObject{Type: "charge", ID: "ch_1", Status: "succ\x00eeded", Currency: "usd"}
	if err := o.Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("NUL in status: Validate() = %v, want EINVALID", err)
	}
	o = MirrorObject{Type: "char\x1bge", ID: "ch_1"}
	if err := o.Validate(); ErrorCode(err) != EINVALID || !PrintableText(err.Error()) {
		t.Errorf("ESC in type: Validate() = %v, want EINVALID without the value", err)
	}
}

func TestLooksLikeSecret(t *testing.T) {
	key := "sk_" + "live_" + strings.Repeat("Ab1", 8) // made here: nothing key-shaped is committed
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{key, true},
		{"billing " + key + " copy", true},
		{"rk_test_" + strings.Repeat("z", 20), true},
		{"whsec_" + strings.Repeat("q", 32), true},
		{"pwk_" + strings.Repeat("x9", 10), true},
		{"pi_123_secret_" + strings.Repeat("s", 20), true},
		{"billing-service", false},
		{"sk_live_", false},
		{"rotate sk_test_ keys", false},
		{"top_secret_plans", false}, // too short after the mark
		{"_secret_" + strings.Repeat("s", 20), false},
	} {
		if got := LooksLikeSecret(tc.s); got != tc.want {
			t.Errorf("LooksLikeSecret(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestTokenNameNotASecret(t *testing.T) {
	_, tok, err := NewToken("sk_"+"live_"+strings.Repeat("Zz9", 8), []string{ScopeAdmin})
	if err == nil {
		err = tok.Validate()
	}
	if ErrorCode(err) != EINVALID || strings.Contains(err.Error(), "Zz9Zz9") {
		t.Errorf("a key as a token name: got %v, want EINVALID without the key", err)
	}
}

func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		"customer.updated":        "customer.updated",
		"café ✓":                  "café ✓",
		"\x1b[2J\x1b]0;pwned\x07": `\x1b[2J\x1b]0;pwned\a`,
		"a\x00b\tc\u0085d\x7f":    `a\x00b\tc\u0085d\x7f`,
		"bad\xffutf8":             `bad\xffutf8`,
	} {
		if got := EscapeText(in); got != want {
			t.Errorf("EscapeText(%q) = %q, want %q", in, got, want)
		}
		if got := EscapeText(in); !PrintableText(got) {
			t.Errorf("EscapeText(%q) = %q is not printable", in, got)
		}
	}
}

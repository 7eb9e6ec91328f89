package secrets

import (
	"strings"
	"testing"
	"time"
)

func TestParseRef(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Ref
	}{
		{"plain-value", Ref{Scheme: SchemeLiteral, literal: "plain-value"}},
		{"no:scheme", Ref{Scheme: SchemeLiteral, literal: "no:scheme"}},
		{"env:OTHER_VAR", Ref{Scheme: SchemeEnv, Name: "OTHER_VAR"}},
		{"file:/run/secrets/stripe", Ref{Scheme: SchemeFile, Name: "/run/secrets/stripe"}},
		{"awssm:prod/stripe", Ref{Scheme: SchemeAWSSM, Name: "prod/stripe", Stage: StageCurrent}},
		{"awssm:prod/stripe#key", Ref{Scheme: SchemeAWSSM, Name: "prod/stripe", Stage: StageCurrent, Field: "key"}},
		{"awssm:prod/stripe:AWSPREVIOUS#webhook", Ref{Scheme: SchemeAWSSM, Name: "prod/stripe", Stage: StagePrevious, Field: "webhook"}},
		{"awssm:arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-AbCdEf#k",
			Ref{Scheme: SchemeAWSSM, Name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-AbCdEf", Stage: StageCurrent, Field: "k"}},
		{"awssm:arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-AbCdEf:AWSPREVIOUS",
			Ref{Scheme: SchemeAWSSM, Name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-AbCdEf", Stage: StagePrevious}},
		{"vault:secret/paywarden/stripe#key", Ref{Scheme: SchemeVault, Mount: "secret", Name: "paywarden/stripe", Field: "key"}},
		{"vault:kv/stripe", Ref{Scheme: SchemeVault, Mount: "kv", Name: "stripe"}},
	} {
		got, err := ParseRef(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRefErrors(t *testing.T) {
	secretish := "sk_" + "live_" + strings.Repeat("Z", 24)
	for _, in := range []string{
		"env:", "env:1BAD", "env:" + secretish + "!", "file:", "awssm:", "awssm:a:b:c", "awssm:x#", "awssm::STAGE",
		"vault:", "vault:onlymount", "vault:/x", "vault:a/b#", "awssm:" + secretish + " x",
	} {
		_, err := ParseRef(in)
		if err == nil {
			t.Errorf("ParseRef(%q) succeeded, want an error", in)
			continue
		}
		if strings.Contains(err.Error(), secretish) || strings.Contains(err.Error(), strings.Repeat("Z", 8)) {
			t.Errorf("ParseRef error %q repeats the input", err)
		}
	}
}

func TestRefStringHidesLiteral(t *testing.T) {
	v := "whsec_" + strings.Repeat("q", 30)
	r, _ := ParseRef(v)
	if strings.Contains(r.String(), v) {
		t.Errorf("Ref.String() = %q, holds the value", r.String())
	}
}

func TestParseWebhookList(t *testing.T) {
	a, b := "whsec_"+strings.Repeat("a", 20), "whsec_"+strings.Repeat("b", 20)
	got, err := ParseWebhookList(" " + a + " , " + b + " ; not_after=2026-12-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Ref.Literal() != a || !got[0].NotAfter.IsZero() || got[1].Ref.Literal() != b ||
		!got[1].NotAfter.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{"", " ", a + ",", a + ",," + b, a + ";expires=2026-01-01T00:00:00Z", a + ";not_after=tomorrow",
		a + ";not_after=2026-12-01T00:00:00Z;not_after=2026-12-01T00:00:00Z", "env:"} {
		_, err := ParseWebhookList(bad)
		if err == nil {
			t.Errorf("ParseWebhookList(%q) succeeded, want an error", bad)
		} else if strings.Contains(err.Error(), strings.Repeat("a", 20)) {
			t.Errorf("error %q holds the secret", err)
		}
	}
}

func TestWebhookSecretActive(t *testing.T) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	w := WebhookSecret{NotAfter: end}
	if !w.Active(end) || w.Active(end.Add(time.Nanosecond)) || !(WebhookSecret{}).Active(end.AddDate(100, 0, 0)) {
		t.Error("Active is wrong at or after not_after, or for a secret without one")
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"", "x", "env:A", "file:/a/b", "awssm:n", "awssm:n:AWSPREVIOUS#f", "awssm:arn:aws:secretsmanager:r:1:secret:n:S#f",
		"vault:m/p#f", "vault:m/p/q", "env:", "awssm:::", "vault:/", "whsec_abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		switch r.Scheme {
		case SchemeLiteral:
			if r.Literal() != s {
				t.Errorf("literal %q != input %q", r.Literal(), s)
			}
		case SchemeAWSSM:
			if r.Name == "" || r.Stage == "" {
				t.Errorf("awssm ref %+v without name or stage", r)
			}
			// The description parses back to the same reference.
			back, err := ParseRef(r.String())
			if err != nil || back != r {
				t.Errorf("ParseRef(%q) = %+v, %v, want %+v", r.String(), back, err, r)
			}
		case SchemeVault:
			if r.Mount == "" || r.Name == "" {
				t.Errorf("vault ref %+v without mount or path", r)
			}
		case SchemeEnv, SchemeFile:
			if r.Name == "" {
				t.Errorf("%s ref without name", r.Scheme)
			}
		}
	})
}

func FuzzParseWebhookList(f *testing.F) {
	for _, s := range []string{"whsec_abc", "whsec_a,whsec_b", "whsec_a;not_after=2026-12-01T00:00:00Z", " a ; not_after = 2026-01-02T03:04:05+02:00 ,b",
		",", ";", "a;;", "env:X,file:/y;not_after=2026-12-01T00:00:00Z", "awssm:n:AWSPREVIOUS#w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseWebhookList(s)
		if err != nil {
			return
		}
		if len(entries) != strings.Count(s, ",")+1 {
			t.Errorf("%d entries from %d commas", len(entries), strings.Count(s, ","))
		}
		for _, e := range entries {
			if e.Ref.Scheme == SchemeLiteral {
				v := e.Ref.Literal()
				if v == "" || strings.ContainsAny(v, ",;") || strings.TrimSpace(v) != v {
					t.Errorf("bad literal %q", v)
				}
			}
		}
	})
}

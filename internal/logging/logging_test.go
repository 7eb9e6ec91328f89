package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// Test secrets are built at run time so that no tracked file holds anything
// shaped like a real key.
func secretShapes() map[string]string {
	body := strings.Repeat("A", 12) + "b1C2d3E4f5G6"
	return map[string]string{
		"sk_live":        "sk_" + "live_" + body,
		"sk_test":        "sk_" + "test_" + body,
		"rk_live":        "rk_" + "live_" + body,
		"rk_test":        "rk_" + "test_" + body,
		"whsec":          "whsec_" + body,
		"pi client":      "pi_3Pq" + body + "_secret_" + "Zz9" + body,
		"seti client":    "seti_1Ab" + body + "_secret_" + "Yy8" + body,
		"pwk token":      "pwk_" + body + "-_x",
		"registered":     "correct-horse-battery-" + body,
		"short body key": "sk_" + "live_" + "abc",
	}
}

// secretParts are the substrings that must not survive; for a client
// secret, the secret half, for everything else, the body.
func secretParts(v string) []string {
	if i := strings.Index(v, "_secret_"); i >= 0 {
		return []string{v, v[i+len("_secret_"):]}
	}
	if i := strings.LastIndexByte(v[:min(len(v), 8)], '_'); i >= 0 {
		return []string{v, v[i+1:]}
	}
	return []string{v}
}

type secretStruct struct {
	Name  string
	Inner struct{ Token string }
}

type stringer struct{ s string }

func (s stringer) String() string { return "stringer(" + s.s + ")" }

// ways are the ways a secret can enter a log record.
var ways = map[string]func(l *slog.Logger, s string){
	"msg":         func(l *slog.Logger, s string) { l.Info("got " + s) },
	"attr string": func(l *slog.Logger, s string) { l.Info("m", "k", s) },
	"attr error":  func(l *slog.Logger, s string) { l.Info("m", "err", errors.New("bad key "+s)) },
	"errorf chain": func(l *slog.Logger, s string) {
		l.Error("m", "err", fmt.Errorf("a: %w", fmt.Errorf("b: %w", errors.New(s))))
	},
	"group":      func(l *slog.Logger, s string) { l.Info("m", slog.Group("g", slog.Group("h", "k", s))) },
	"with attrs": func(l *slog.Logger, s string) { l.With("k", s).Info("m") },
	"with group": func(l *slog.Logger, s string) { l.WithGroup("g").With("k", s).Info("m", "k2", s) },
	"any struct": func(l *slog.Logger, s string) {
		v := secretStruct{Name: s}
		v.Inner.Token = s
		l.Info("m", slog.Any("v", v))
	},
	"any ptr struct": func(l *slog.Logger, s string) { l.Info("m", slog.Any("v", &secretStruct{Name: s})) },
	"any map":        func(l *slog.Logger, s string) { l.Info("m", slog.Any("v", map[string]any{"key": s})) },
	"stringer":       func(l *slog.Logger, s string) { l.Info("m", slog.Any("v", stringer{s})) },
	"bytes":          func(l *slog.Logger, s string) { l.Info("m", slog.Any("v", []byte("x="+s))) },
	"key":            func(l *slog.Logger, s string) { l.Info("m", s, "v") },
	"bearer header":  func(l *slog.Logger, s string) { l.Info("m", "auth", "Authorization: Bearer "+s) },
	"json in string": func(l *slog.Logger, s string) { l.Info("m", "body", `{"key":"`+s+`"}`) },
	"panic":          func(l *slog.Logger, s string) { func() { defer Recover(l, "test"); panic("boom " + s) }() },
	"panic error": func(l *slog.Logger, s string) {
		func() { defer Recover(l, "test"); panic(fmt.Errorf("x: %w", errors.New(s))) }()
	},
	"recover func":    func(l *slog.Logger, s string) { _ = RecoverFunc(l, "fn", func() error { panic(s) }) },
	"args formatting": func(l *slog.Logger, s string) { l.Info(fmt.Sprintf("%v %q", s, s)) },
}

func TestNoSecretSurvives(t *testing.T) {
	shapes := secretShapes()
	for _, format := range []string{"json", "text"} {
		for shape, secret := range shapes {
			for way, log := range ways {
				t.Run(format+"/"+shape+"/"+way, func(t *testing.T) {
					var buf bytes.Buffer
					l := New(&buf, format, slog.LevelDebug, NewRedactor(shapes["registered"]))
					log(l, secret)
					out := buf.String()
					if out == "" {
						t.Fatal("nothing logged")
					}
					for _, part := range secretParts(secret) {
						if strings.Contains(out, part) {
							t.Errorf("output contains %q:\n%s", part, out)
						}
					}
				})
			}
		}
	}
}

func TestBearerValues(t *testing.T) {
	tok := "opaque." + strings.Repeat("x", 20) + "+/="
	for _, in := range []string{
		"Authorization: Bearer " + tok,
		"authorization: bearer " + tok,
		"BEARER\t" + tok,
		"GET /x?access=Bearer%20" + tok,
	} {
		got := NewRedactor().String(in)
		if strings.Contains(got, "opaque") {
			t.Errorf("String(%q) = %q, still holds the token", in, got)
		}
	}
}

func TestKeepsWhatItWas(t *testing.T) {
	key := "sk_" + "live_" + strings.Repeat("Q", 30)
	got := NewRedactor().String("key=" + key + " end")
	if want := "key=sk_live_" + Mark + " end"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	cs := "pi_123abc_secret_" + strings.Repeat("z", 20)
	if got, want := NewRedactor().String(cs), "pi_"+Mark; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLeavesOrdinaryTextAlone(t *testing.T) {
	for _, s := range []string{
		"event evt_1AbC processed",
		"payment pi_123 succeeded",
		"customer cus_ABC created",
		"listening on :8443",
		"key sk_live_ is a prefix only",
		"",
	} {
		if got := NewRedactor("short", "").String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestRedactorAddConcurrent(t *testing.T) {
	r := NewRedactor()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 {
			r.Add(fmt.Sprintf("secret-value-%03d", i))
		}
	}()
	for range 100 {
		_ = r.String("secret-value-050 and more")
	}
	<-done
	if got := r.String("secret-value-050 secret-value-099"); got != "REDACTED REDACTED" {
		t.Errorf("got %q, want both values redacted", got)
	}
}

func TestRedactorLongestFirst(t *testing.T) {
	r := NewRedactor("abcdef", "abcdefghij")
	if got := r.String("xabcdefghijx"); got != "xREDACTEDx" {
		t.Errorf("got %q, want xREDACTEDx", got)
	}
}

func TestLevel(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, "json", slog.LevelWarn, nil)
	l.Info("hidden")
	l.Warn("shown", "n", 3)
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), `"n":3`) {
		t.Errorf("got %s, want only the warning with n as a number", buf.String())
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "DEBUG": slog.LevelDebug, "warning": slog.LevelWarn, "error": slog.LevelError} {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) succeeded, want an error")
	}
}

func BenchmarkScrubClean(b *testing.B) {
	r := NewRedactor("registered-secret-value")
	s := "webhook evt_1NqX processed in 12ms for customer cus_Q1w2e3 status=200 path=/webhooks/stripe"
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String(s)
	}
}

func BenchmarkScrubNoUnderscore(b *testing.B) {
	r := NewRedactor()
	s := "GET /healthz 200 took 3ms from 10.0.0.7"
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String(s)
	}
}

func BenchmarkScrubKey(b *testing.B) {
	r := NewRedactor()
	s := "stripe call failed with key " + "sk_" + "live_" + strings.Repeat("A", 24) + " status=401"
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String(s)
	}
}

func BenchmarkHandler(b *testing.B) {
	var buf bytes.Buffer
	l := New(&buf, "json", slog.LevelInfo, NewRedactor("registered-secret-value"))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		l.Info("event processed", "id", "evt_123", "type", "payment_intent.succeeded", "ms", 12)
	}
}

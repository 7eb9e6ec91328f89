package logging

import (
	"strings"
	"testing"
)

func TestWriterScrubsLinesSplitAcrossWrites(t *testing.T) {
	key := "sk_" + "live_" + strings.Repeat("Kx7", 9) // made at run time
	loaded := "a-loaded-secret-value"
	var out strings.Builder
	w := Writer(&out, NewRedactor(loaded))
	half := len(key) / 2
	for _, s := range []string{"paywarden: variable " + key[:half], key[half:] + " is not set\n",
		"value " + loaded + " and no newline"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(out.String(), "no newline") {
		t.Error("a partial line was written before its newline")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, key[half-4:half+4]) || strings.Contains(got, loaded) {
		t.Errorf("a secret got through: %q", got)
	}
	if !strings.Contains(got, "is not set\n") || !strings.HasSuffix(got, "and no newline") {
		t.Errorf("the text around the secrets was lost: %q", got)
	}
}

package main

import (
	"strings"
	"testing"
)

// A value refused by a flag, or an extra argument, is quoted in the error
// unless it may be a secret pasted in the wrong place.
func TestCmdlineNeverQuotesSecrets(t *testing.T) {
	key := newLiveKey()
	for _, args := range [][]string{{"events", "list", "--limit", key}, {"events", "list", key}, {"tokens", "list", "--format=" + key}} {
		_, errOut, code, _ := runCmd(t, nil, args...)
		if code != 2 || strings.Contains(errOut, key) || strings.Contains(errOut, key[8:]) || !strings.Contains(errOut, "--help") {
			t.Errorf("%v: exit %d, stderr %q; want 2, the key not shown, and a pointer to --help", args[:2], code, errOut)
		}
	}
	_, errOut, _, _ := runCmd(t, nil, "events", "list", "--limit", "abc")
	if !strings.Contains(errOut, `"abc"`) {
		t.Errorf("an ordinary bad value is not quoted: %q", errOut)
	}
}

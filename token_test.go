package paywarden

import (
	"fmt"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	tok, rec, err := NewToken(" billing ", []string{"payments:write", "payments:read", "payments:write"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "pwk_") || len(tok) < 4+43 {
		t.Errorf("got token of length %d, want pwk_ and at least 43 characters", len(tok))
	}
	if rec.Name != "billing" || strings.Join(rec.Scopes, ",") != "payments:read,payments:write" {
		t.Errorf("got name %q scopes %v", rec.Name, rec.Scopes)
	}
	if string(rec.Hash) != string(HashToken(tok)) || strings.Contains(fmt.Sprintf("%+v", rec), tok) {
		t.Error("the record must hold the hash, never the token")
	}
	if !strings.HasPrefix(rec.ID, "tok_") {
		t.Errorf("got id %q", rec.ID)
	}
	tok2, _, _ := NewToken("x", []string{"admin"})
	if tok2 == tok {
		t.Error("two tokens are equal")
	}
	for name, scopes := range map[string][]string{"": {"admin"}, "x": nil, "y": {"payments:rea"}} {
		if _, _, err := NewToken(name, scopes); ErrorCode(err) != EINVALID {
			t.Errorf("NewToken(%q, %v): got %v, want invalid", name, scopes, err)
		}
	}
}

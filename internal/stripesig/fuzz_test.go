package stripesig

import (
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// Secrets are made at run time: nothing secret-shaped is committed.
var secretA = paywarden.NewSecret("whsec_" + strings.Repeat("a1", 16))

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func FuzzParseHeader(f *testing.F) {
	body := []byte(`{"id":"evt_1"}`)
	f.Add(Sign(body, secretA, t0))
	f.Add(Sign(body, secretA, t0) + ",v0=00")
	f.Add("t=1,v1=" + "ab")
	f.Add("t=,v1=")
	f.Add(",,,")
	f.Add("t=1=2,v1=zz")
	f.Fuzz(func(t *testing.T, h string) {
		hd, err := ParseHeader(h)
		if err != nil {
			return
		}
		if len(hd.V1) == 0 || len(hd.V1) > maxSignatures {
			t.Fatalf("accepted %q with %d v1 signatures", h, len(hd.V1))
		}
		for _, sig := range hd.V1 {
			if len(sig) != 32 {
				t.Fatalf("accepted %q with a %d-byte signature", h, len(sig))
			}
		}
		// An accepted header never verifies without a secret.
		if err := Verify(body, hd, nil, time.Unix(hd.Timestamp, 0), time.Hour); err == nil {
			t.Fatalf("%q verified with no secret", h)
		}
	})
}

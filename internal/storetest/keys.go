package storetest

// The conformance tests of paywarden.KeyStore.

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
)

func testKeys(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	k := &paywarden.KeyRecord{
		Fingerprint: "fp_1", Capability: paywarden.CapabilityDefault, Source: "env",
		Kind: paywarden.KeySecret, Livemode: false, FirstSeen: now, LastSeen: now,
	}
	got, err := s.RecordKey(ctx, k)
	must(t, "RecordKey", err)
	keyCmp := cmp.Transformer("norm", norm)
	if diff := cmp.Diff(k, got, keyCmp); diff != "" {
		t.Errorf("RecordKey (-want +got):\n%s", diff)
	}
	checkTime(t, "FirstSeen", got.FirstSeen, now)

	later := now.Add(24 * time.Hour)
	again := *k
	again.Source, again.FirstSeen, again.LastSeen = "file:/run/secrets/stripe", later, later
	got, err = s.RecordKey(ctx, &again)
	must(t, "RecordKey again", err)
	want := again
	want.FirstSeen = now // the first time is kept
	if diff := cmp.Diff(&want, got, keyCmp); diff != "" {
		t.Errorf("RecordKey again (-want +got):\n%s", diff)
	}

	// The same key for another capability is another record; zero times are now.
	clock.Advance(48 * time.Hour)
	other := &paywarden.KeyRecord{Fingerprint: "fp_1", Capability: paywarden.CapabilityPayments, Source: "env", Kind: paywarden.KeySecret}
	got, err = s.RecordKey(ctx, other)
	must(t, "RecordKey(other capability)", err)
	checkTime(t, "FirstSeen (zero is now)", got.FirstSeen, clock.Now())
	checkTime(t, "LastSeen (zero is now)", got.LastSeen, clock.Now())
	rk := &paywarden.KeyRecord{
		Fingerprint: "fp_2", Capability: paywarden.CapabilityRead, Source: "vault:kv/stripe#read",
		Kind: paywarden.KeyRestricted, Livemode: true, FirstSeen: now.Add(time.Hour), LastSeen: now.Add(time.Hour),
	}
	_, err = s.RecordKey(ctx, rk)
	must(t, "RecordKey(restricted)", err)

	keys, err := s.Keys(ctx)
	must(t, "Keys", err)
	var order []string
	for _, k := range keys {
		order = append(order, k.Fingerprint+"/"+k.Capability)
	}
	if diff := cmp.Diff([]string{"fp_1/payments", "fp_2/read", "fp_1/default"}, order); diff != "" {
		t.Errorf("Keys, newest first (-want +got):\n%s", diff)
	}
	if i := slices.IndexFunc(keys, func(k *paywarden.KeyRecord) bool { return k.Fingerprint == "fp_2" }); i >= 0 {
		if diff := cmp.Diff(rk, keys[i], keyCmp); diff != "" {
			t.Errorf("restricted key (-want +got):\n%s", diff)
		}
	}
	_, err = s.RecordKey(ctx, &paywarden.KeyRecord{Capability: "default"})
	wantCode(t, "RecordKey without a fingerprint", err, paywarden.EINVALID)
}

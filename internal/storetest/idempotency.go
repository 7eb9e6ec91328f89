package storetest

// The conformance tests of paywarden.IdempotencyStore: begin, finish, abandon, takeover and expiry.

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paywarden/paywarden"
)

func idem(tokenID, key string, hash byte, now time.Time) *paywarden.IdempotencyRecord {
	return &paywarden.IdempotencyRecord{
		TokenID: tokenID, Key: key, RequestHash: bytes.Repeat([]byte{hash}, 32),
		LockedUntil: now.Add(time.Minute), CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
}

var idemCmp = cmp.Options{cmpopts.EquateEmpty(), cmp.Transformer("norm", norm)}

func testIdempotency(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	rec := idem("tok_a", "key-1", 1, now)

	existing, err := s.BeginIdempotent(ctx, rec)
	must(t, "BeginIdempotent", err)
	if existing != nil {
		t.Fatalf("first BeginIdempotent: got existing %+v, want nil", existing)
	}
	// A repeat while in flight gets the in-flight record, same body or not.
	for _, hash := range []byte{1, 2} {
		existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", hash, now))
		must(t, "BeginIdempotent(repeat)", err)
		if diff := cmp.Diff(rec, existing, idemCmp); diff != "" {
			t.Errorf("repeat in flight (-want +got):\n%s", diff)
		}
	}
	// Keys are per token.
	existing, err = s.BeginIdempotent(ctx, idem("tok_b", "key-1", 1, now))
	if err != nil || existing != nil {
		t.Errorf("same key, other token: got %+v, %v; want nil, nil", existing, err)
	}

	body := []byte(`{"id":"pi_1"}`)
	must(t, "FinishIdempotent", s.FinishIdempotent(ctx, "tok_a", "key-1", 201, body))
	wantCode(t, "FinishIdempotent(missing)", s.FinishIdempotent(ctx, "tok_a", "key-missing", 201, body), paywarden.ENOTFOUND)
	// Long after the lock would have run out, a finished record is replayed,
	// whatever the request.
	clock.Advance(time.Hour)
	for _, hash := range []byte{1, 2} {
		existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", hash, clock.Now()))
		must(t, "BeginIdempotent(after finish)", err)
		want := *rec
		want.Status, want.Body, want.LockedUntil = 201, body, time.Time{}
		if diff := cmp.Diff(&want, existing, idemCmp); diff != "" {
			t.Errorf("repeat after finish (-want +got):\n%s", diff)
		}
		if existing != nil && !existing.Done() {
			t.Errorf("finished record: Done() = false, want true")
		}
	}

	// Abandon frees an in-flight key, and leaves a finished one alone.
	must(t, "AbandonIdempotent(finished)", s.AbandonIdempotent(ctx, "tok_a", "key-1"))
	existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", 1, clock.Now()))
	if err != nil || existing == nil || !existing.Done() {
		t.Errorf("after abandoning a finished record: got %+v, %v; want it still there", existing, err)
	}
	must(t, "AbandonIdempotent(in flight)", s.AbandonIdempotent(ctx, "tok_b", "key-1"))
	existing, err = s.BeginIdempotent(ctx, idem("tok_b", "key-1", 2, clock.Now()))
	if err != nil || existing != nil {
		t.Errorf("after abandon: got %+v, %v; want nil, nil (the key is free)", existing, err)
	}
	must(t, "AbandonIdempotent(missing)", s.AbandonIdempotent(ctx, "tok_z", "key-z"))

	_, err = s.BeginIdempotent(ctx, &paywarden.IdempotencyRecord{TokenID: "tok_a"})
	wantCode(t, "BeginIdempotent without a key", err, paywarden.EINVALID)
}

func testIdempotencyTakeover(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	rec := idem("tok_a", "key-1", 1, clock.Now())
	_, err := s.BeginIdempotent(ctx, rec)
	must(t, "BeginIdempotent", err)

	clock.Advance(time.Minute) // the lock runs out: the first request crashed
	// Another request under the same key may not take it over.
	existing, err := s.BeginIdempotent(ctx, idem("tok_a", "key-1", 2, clock.Now()))
	must(t, "BeginIdempotent(other request)", err)
	if diff := cmp.Diff(rec, existing, idemCmp); diff != "" {
		t.Errorf("other request after the lock expired (-want +got):\n%s", diff)
	}
	// The same request takes it over, with a new lock.
	retry := idem("tok_a", "key-1", 1, clock.Now())
	existing, err = s.BeginIdempotent(ctx, retry)
	if err != nil || existing != nil {
		t.Fatalf("same request after the lock expired: got %+v, %v; want nil, nil", existing, err)
	}
	existing, err = s.BeginIdempotent(ctx, idem("tok_a", "key-1", 1, clock.Now()))
	must(t, "BeginIdempotent(while taken over)", err)
	if existing == nil {
		t.Fatalf("while taken over: got nil, want the record locked again")
	}
	checkTime(t, "LockedUntil", existing.LockedUntil, retry.LockedUntil)
	checkTime(t, "CreatedAt (of the first request)", existing.CreatedAt, rec.CreatedAt)
}

func testIdempotencyExpiry(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	for i, key := range []string{"a", "b", "c"} {
		rec := idem("tok", key, 1, now)
		rec.ExpiresAt = now.Add(time.Duration(i+1) * time.Hour)
		_, err := s.BeginIdempotent(ctx, rec)
		must(t, "BeginIdempotent", err)
	}
	must(t, "FinishIdempotent", s.FinishIdempotent(ctx, "tok", "a", 200, []byte("ok")))

	// An expired record is ignored: the key is new again, for any request.
	clock.Advance(time.Hour)
	fresh := idem("tok", "a", 2, clock.Now())
	existing, err := s.BeginIdempotent(ctx, fresh)
	if err != nil || existing != nil {
		t.Fatalf("BeginIdempotent over an expired record: got %+v, %v; want nil, nil", existing, err)
	}
	existing, err = s.BeginIdempotent(ctx, idem("tok", "a", 2, clock.Now()))
	must(t, "BeginIdempotent", err)
	if diff := cmp.Diff(fresh, existing, idemCmp); diff != "" {
		t.Errorf("record replacing an expired one (-want +got):\n%s", diff)
	}

	// "b" expires at now+2h, "c" at now+3h; "a" was renewed to +25h.
	n, err := s.DeleteExpiredIdempotency(ctx, now.Add(2*time.Hour))
	must(t, "DeleteExpiredIdempotency", err)
	if n != 0 {
		t.Errorf("DeleteExpiredIdempotency at the expiry instant: got %d, want 0 (only before now)", n)
	}
	n, err = s.DeleteExpiredIdempotency(ctx, now.Add(3*time.Hour+time.Microsecond))
	must(t, "DeleteExpiredIdempotency", err)
	if n != 2 {
		t.Errorf("DeleteExpiredIdempotency: got %d, want 2", n)
	}
	existing, err = s.BeginIdempotent(ctx, idem("tok", "b", 3, clock.Now()))
	if err != nil || existing != nil {
		t.Errorf("BeginIdempotent on a deleted key: got %+v, %v; want nil, nil", existing, err)
	}
}

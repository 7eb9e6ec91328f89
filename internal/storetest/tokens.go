package storetest

// The conformance tests of paywarden.TokenStore.

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paywarden/paywarden"
)

func testTokens(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	now := clock.Now()
	tok := func(id string, hash byte, ago time.Duration, scopes ...string) *paywarden.Token {
		return &paywarden.Token{
			ID: id, Name: "name " + id, Scopes: scopes,
			Hash: bytes.Repeat([]byte{hash}, 32), CreatedAt: now.Add(-ago),
		}
	}
	a := tok("tok_a", 1, time.Hour, paywarden.ScopePaymentsRead, paywarden.ScopePaymentsWrite)
	b := tok("tok_b", 2, 2*time.Hour, paywarden.ScopeAdmin)
	c := tok("tok_c", 3, 0)
	for _, x := range []*paywarden.Token{a, b, c} {
		must(t, "CreateToken("+x.ID+")", s.CreateToken(ctx, x))
	}
	wantCode(t, "CreateToken(duplicate id)", s.CreateToken(ctx, tok("tok_a", 9, 0)), paywarden.EINVALID)
	wantCode(t, "CreateToken(duplicate hash)", s.CreateToken(ctx, tok("tok_d", 1, 0)), paywarden.EINVALID)
	wantCode(t, "CreateToken(no hash)", s.CreateToken(ctx, &paywarden.Token{ID: "tok_e"}), paywarden.EINVALID)

	tokenCmp := cmp.Options{cmpopts.EquateEmpty(), cmp.Transformer("norm", norm)}
	got, err := s.TokenByHash(ctx, a.Hash)
	must(t, "TokenByHash", err)
	if diff := cmp.Diff(a, got, tokenCmp); diff != "" {
		t.Errorf("TokenByHash (-want +got):\n%s", diff)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
	_, err = s.TokenByHash(ctx, bytes.Repeat([]byte{7}, 32))
	wantCode(t, "TokenByHash(missing)", err, paywarden.ENOTFOUND)

	list, err := s.ListTokens(ctx)
	must(t, "ListTokens", err)
	if diff := cmp.Diff([]*paywarden.Token{b, a, c}, list, tokenCmp); diff != "" {
		t.Errorf("ListTokens, oldest first (-want +got):\n%s", diff)
	}

	revoked := now.Add(time.Minute)
	must(t, "RevokeToken", s.RevokeToken(ctx, "tok_a", revoked))
	must(t, "RevokeToken again", s.RevokeToken(ctx, "tok_a", revoked.Add(time.Hour)))
	wantCode(t, "RevokeToken(missing)", s.RevokeToken(ctx, "tok_missing", now), paywarden.ENOTFOUND)
	got, err = s.TokenByHash(ctx, a.Hash)
	must(t, "TokenByHash(revoked)", err)
	if !got.Revoked() {
		t.Errorf("token not revoked after RevokeToken")
	}
	checkTime(t, "RevokedAt (the first revocation)", got.RevokedAt, revoked)

	used := now.Add(2 * time.Minute)
	must(t, "TouchToken", s.TouchToken(ctx, "tok_b", used))
	must(t, "TouchToken earlier", s.TouchToken(ctx, "tok_b", used.Add(-time.Minute)))
	wantCode(t, "TouchToken(missing)", s.TouchToken(ctx, "tok_missing", now), paywarden.ENOTFOUND)
	got, err = s.TokenByHash(ctx, b.Hash)
	must(t, "TokenByHash", err)
	checkTime(t, "LastUsedAt", got.LastUsedAt, used)
	if got.Revoked() {
		t.Errorf("tok_b revoked, want not")
	}
	if !got.Has(paywarden.ScopeEventsRead) {
		t.Errorf("admin token: Has(events:read) = false, want true")
	}
}

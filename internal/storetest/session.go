package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paywarden/paywarden"
)

// testDashboard runs the tests of what the dashboard (internal/ui) needs
// of a store: sessions and the event queries.
func testDashboard(t *testing.T, open opener) {
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("SessionOfRevokedToken", func(t *testing.T) { testSessionOfRevokedToken(t, open) })
	t.Run("SearchEvents", func(t *testing.T) { testSearchEvents(t, open) })
	t.Run("CountEventsReceived", func(t *testing.T) { testCountEventsReceived(t, open) })
	t.Run("ReplayEventsOfType", func(t *testing.T) { testReplayEventsOfType(t, open) })
}

func sessionOf(tokenID string, hash byte, expires time.Time) *paywarden.Session {
	return &paywarden.Session{Hash: bytes.Repeat([]byte{hash}, 32), TokenID: tokenID, CSRF: "csrf-" + tokenID, ExpiresAt: expires}
}

func adminToken(t *testing.T, s paywarden.Store, id string, hash byte) {
	t.Helper()
	must(t, "CreateToken", s.CreateToken(context.Background(), &paywarden.Token{
		ID: id, Name: "ops " + id, Scopes: []string{paywarden.ScopeAdmin}, Hash: bytes.Repeat([]byte{hash}, 32)}))
}

func testSessions(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	adminToken(t, s, "tok_a", 1)
	now := clock.Now()
	a := sessionOf("tok_a", 7, now.Add(time.Hour))
	must(t, "CreateSession", s.CreateSession(ctx, a))
	wantCode(t, "CreateSession(duplicate hash)", s.CreateSession(ctx, sessionOf("tok_a", 7, now.Add(time.Hour))), paywarden.EINVALID)
	wantCode(t, "CreateSession(unknown token)", s.CreateSession(ctx, sessionOf("tok_x", 8, now.Add(time.Hour))), paywarden.ENOTFOUND)
	wantCode(t, "CreateSession(no expiry)", s.CreateSession(ctx, sessionOf("tok_a", 9, time.Time{})), paywarden.EINVALID)

	got, err := s.SessionByHash(ctx, a.Hash)
	must(t, "SessionByHash", err)
	want := &paywarden.Session{Hash: a.Hash, TokenID: "tok_a", CSRF: "csrf-tok_a", CreatedAt: norm(now),
		ExpiresAt: norm(a.ExpiresAt), TokenName: "ops tok_a", Scopes: []string{paywarden.ScopeAdmin}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("SessionByHash (-want +got):\n%s", diff)
	}
	_, err = s.SessionByHash(ctx, bytes.Repeat([]byte{8}, 32))
	wantCode(t, "SessionByHash(unknown)", err, paywarden.ENOTFOUND)

	// A session that expires is refused at once, and removed by the cleanup.
	b := sessionOf("tok_a", 9, now.Add(2*time.Hour))
	must(t, "CreateSession(b)", s.CreateSession(ctx, b))
	clock.Advance(time.Hour)
	_, err = s.SessionByHash(ctx, a.Hash)
	wantCode(t, "SessionByHash(expired)", err, paywarden.ENOTFOUND)
	if _, err := s.SessionByHash(ctx, b.Hash); err != nil {
		t.Errorf("SessionByHash(b, not expired): %v", err)
	}
	n, err := s.DeleteExpiredSessions(ctx, clock.Now().Add(time.Second))
	must(t, "DeleteExpiredSessions", err)
	if n != 1 {
		t.Errorf("DeleteExpiredSessions: got %d, want 1", n)
	}

	must(t, "DeleteSession", s.DeleteSession(ctx, b.Hash))
	_, err = s.SessionByHash(ctx, b.Hash)
	wantCode(t, "SessionByHash(deleted)", err, paywarden.ENOTFOUND)
	must(t, "DeleteSession(again)", s.DeleteSession(ctx, b.Hash))
}

func testSessionOfRevokedToken(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	adminToken(t, s, "tok_a", 1)
	adminToken(t, s, "tok_b", 2)
	a := sessionOf("tok_a", 7, clock.Now().Add(time.Hour))
	b := sessionOf("tok_b", 8, clock.Now().Add(time.Hour))
	must(t, "CreateSession(a)", s.CreateSession(ctx, a))
	must(t, "CreateSession(b)", s.CreateSession(ctx, b))
	must(t, "RevokeToken", s.RevokeToken(ctx, "tok_a", clock.Now()))
	_, err := s.SessionByHash(ctx, a.Hash)
	wantCode(t, "SessionByHash(revoked token)", err, paywarden.ENOTFOUND)
	if _, err := s.SessionByHash(ctx, b.Hash); err != nil {
		t.Errorf("SessionByHash(other token): %v", err)
	}
	n, err := s.DeleteExpiredSessions(ctx, clock.Now())
	must(t, "DeleteExpiredSessions", err)
	if n != 1 {
		t.Errorf("DeleteExpiredSessions: got %d, want 1 (the revoked token's)", n)
	}
}

// dashboardEvents inserts five events received a minute apart from
// clock's now, oldest first, of two types, two objects and two statuses.
func dashboardEvents(t *testing.T, s paywarden.Store, clock *fakeClock) []*paywarden.Event {
	t.Helper()
	base := clock.Now()
	var es []*paywarden.Event
	for i, spec := range []struct {
		typ, obj string
		status   paywarden.EventStatus
	}{
		{"customer.updated", "cus_1", paywarden.EventProcessed},
		{"invoice.paid", "in_1", paywarden.EventDead},
		{"customer.updated", "cus_2", paywarden.EventDead},
		{"invoice.paid", "in_1", paywarden.EventProcessed},
		{"customer.updated", "cus_1", paywarden.EventDead},
	} {
		e := newEvent("evt_"+string(rune('a'+i)), base)
		e.Type, e.ObjectID, e.Status = spec.typ, spec.obj, spec.status
		e.ReceivedAt = base.Add(time.Duration(i) * time.Minute)
		es = append(es, e)
	}
	insert(t, s, es...)
	return es
}

func testSearchEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	es := dashboardEvents(t, s, clock)
	base := es[0].ReceivedAt
	for _, tt := range []struct {
		name string
		q    paywarden.EventQuery
		want []string
	}{
		{"all", paywarden.EventQuery{}, []string{"evt_e", "evt_d", "evt_c", "evt_b", "evt_a"}},
		{"type", paywarden.EventQuery{Type: "invoice.paid"}, []string{"evt_d", "evt_b"}},
		{"status", paywarden.EventQuery{Status: paywarden.EventDead}, []string{"evt_e", "evt_c", "evt_b"}},
		{"object", paywarden.EventQuery{ObjectID: "cus_1"}, []string{"evt_e", "evt_a"}},
		{"received from", paywarden.EventQuery{ReceivedFrom: base.Add(3 * time.Minute)}, []string{"evt_e", "evt_d"}},
		{"received to", paywarden.EventQuery{ReceivedTo: base.Add(time.Minute)}, []string{"evt_a"}},
		{"combined", paywarden.EventQuery{Type: "customer.updated", Status: paywarden.EventDead, ReceivedTo: base.Add(4 * time.Minute)}, []string{"evt_c"}},
		{"page", paywarden.EventQuery{Limit: 2, StartingAfter: "evt_d"}, []string{"evt_c", "evt_b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SearchEvents(ctx, tt.q)
			must(t, "SearchEvents", err)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("SearchEvents(%+v) (-want +got):\n%s", tt.q, diff)
			}
		})
	}
	_, err := s.SearchEvents(ctx, paywarden.EventQuery{StartingAfter: "evt_nope"})
	wantCode(t, "SearchEvents(unknown cursor)", err, paywarden.EINVALID)
	_, err = s.SearchEvents(ctx, paywarden.EventQuery{Status: "bogus"})
	wantCode(t, "SearchEvents(unknown status)", err, paywarden.EINVALID)
}

func testCountEventsReceived(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	es := dashboardEvents(t, s, clock)
	base := es[0].ReceivedAt
	// Two-minute buckets from a minute before the first event: a at -1..1,
	// b and c in 1..3, d and e in 3..5; the window ends before e.
	from := base.Add(-time.Minute)
	got, err := s.CountEventsReceived(ctx, from, base.Add(4*time.Minute), 2*time.Minute)
	must(t, "CountEventsReceived", err)
	want := []paywarden.EventCount{
		{Start: norm(from), Status: paywarden.EventProcessed, Count: 1},
		{Start: norm(from.Add(2 * time.Minute)), Status: paywarden.EventDead, Count: 2},
		{Start: norm(from.Add(4 * time.Minute)), Status: paywarden.EventProcessed, Count: 1},
	}
	if diff := cmp.Diff(want, got, cmp.Transformer("norm", norm)); diff != "" {
		t.Errorf("CountEventsReceived (-want +got):\n%s", diff)
	}
	_, err = s.CountEventsReceived(ctx, from, base, 0)
	wantCode(t, "CountEventsReceived(zero step)", err, paywarden.EINVALID)
}

func testReplayEventsOfType(t *testing.T, open opener) {
	ctx := context.Background()
	s, clock := setup(t, open)
	dashboardEvents(t, s, clock)
	n, err := s.ReplayEventsOfType(ctx, paywarden.EventDead, "customer.updated")
	must(t, "ReplayEventsOfType", err)
	if n != 2 {
		t.Errorf("ReplayEventsOfType: got %d, want 2", n)
	}
	for id, want := range map[string]paywarden.EventStatus{
		"evt_a": paywarden.EventProcessed, "evt_b": paywarden.EventDead, "evt_c": paywarden.EventPending,
		"evt_d": paywarden.EventProcessed, "evt_e": paywarden.EventPending,
	} {
		if got := getEvent(t, s, id); got.Status != want {
			t.Errorf("%s: got status %s, want %s", id, got.Status, want)
		}
	}
	_, err = s.ReplayEventsOfType(ctx, paywarden.EventDead, "")
	wantCode(t, "ReplayEventsOfType(no type)", err, paywarden.EINVALID)
}

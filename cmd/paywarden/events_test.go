package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
)

func TestEventsCommand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pw.db")
	db, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var events []*paywarden.Event
	for i, st := range []paywarden.EventStatus{paywarden.EventPending, paywarden.EventQuarantined, paywarden.EventQuarantined} {
		events = append(events, &paywarden.Event{
			ID: "evt_" + string(rune('a'+i)), Type: "customer.updated", Created: t0.Add(time.Duration(i) * time.Second),
			APIVersion: "2020-08-27", ObjectID: "cus_A", ObjectType: "customer", Endpoint: "default",
			Payload: []byte(`{"id":"x"}`), Status: st, ReceivedAt: t0, NextAttemptAt: t0,
		})
	}
	if _, err := db.InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	db.Close()

	getenv := func(k string) string {
		return map[string]string{"PAYWARDEN_DATABASE_URL": "sqlite:" + path}[k]
	}
	cmd := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"events"}, args...), getenv, nil, &out, &errb)
		code := report(&errb, err)
		return out.String(), errb.String(), code
	}

	out, stderr, code := cmd("list", "--status", "quarantined", "--format", "json")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list --format json: %v in %s", err, out)
	}
	if len(got) != 2 {
		t.Fatalf("quarantined events: got %d, want 2", len(got))
	}
	for _, k := range []string{"id", "type", "status", "created", "received_at", "attempts", "api_version", "livemode", "endpoint"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("list JSON lacks %q", k)
		}
	}
	if got[0]["id"] != "evt_c" {
		t.Errorf("first listed: got %v, want the newest, evt_c", got[0]["id"])
	}

	out, _, code = cmd("show", "evt_b")
	if code != 0 || !strings.Contains(out, "quarantined") || !strings.Contains(out, "replay it after upgrading") {
		t.Errorf("show: exit %d, output %s", code, out)
	}
	if _, stderr, code = cmd("show", "evt_nope"); code != 1 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("show of an unknown id: exit %d, stderr %q; want 1 and one line", code, stderr)
	}

	out, _, code = cmd("replay", "--status", "quarantined")
	if code != 0 || !strings.HasPrefix(out, "2 ") {
		t.Errorf("replay --status: exit %d, output %q", code, out)
	}
	out, _, _ = cmd("list", "--status", "pending", "--format", "json")
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 3 {
		t.Errorf("pending after replay: got %d (%v), want 3", len(got), err)
	}

	for _, args := range [][]string{{"list", "--status", "bogus"}, {"replay"}, {"replay", "evt_a", "--status", "dead"}, {"frob"}, {"list", "--format", "xml"}} {
		if _, _, code := cmd(args...); code != 2 {
			t.Errorf("events %v: exit %d, want 2", args, code)
		}
	}
}

// events replay says what replaying a quarantined event does: its object is
// re-read from Stripe, its payload never applied.
func TestEventsReplayQuarantined(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pw.db")
	db, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var events []*paywarden.Event
	for i, st := range []paywarden.EventStatus{paywarden.EventDead, paywarden.EventQuarantined} {
		events = append(events, &paywarden.Event{
			ID: "evt_" + string(rune('a'+i)), Type: "customer.updated", Created: t0, APIVersion: "2020-08-27",
			ObjectID: "cus_A", ObjectType: "customer", Endpoint: "default", Payload: []byte(`{"id":"x"}`),
			Status: st, ReceivedAt: t0, NextAttemptAt: t0,
		})
	}
	if _, err := db.InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	db.Close()
	getenv := func(k string) string {
		return map[string]string{"PAYWARDEN_DATABASE_URL": "sqlite:" + path}[k]
	}
	cmd := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"events", "replay"}, args...), getenv, nil, &out, &errb)
		return out.String(), report(&errb, err)
	}
	const note = "re-read each object from Stripe at the pinned API version"

	if out, code := cmd("--help"); code != 0 || !strings.Contains(out, "never applies its stored payload") ||
		!strings.Contains(out, "--accept-version") {
		t.Errorf("replay --help: exit %d, want 0 and the quarantine rule: %s", code, out)
	}
	if out, code := cmd("evt_a"); code != 0 || strings.Contains(out, note) {
		t.Errorf("replay of a dead event: exit %d, output %q; want 0 and no quarantine note", code, out)
	}
	if out, code := cmd("evt_b"); code != 0 || !strings.Contains(out, note) {
		t.Errorf("replay of a quarantined event: exit %d, output %q; want 0 and the note", code, out)
	}
	if out, code := cmd("evt_nope"); code != 1 || out != "" {
		t.Errorf("replay of an unknown event: exit %d, output %q; want 1 and nothing", code, out)
	}
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/webhook"
)

func init() {
	commands["events"] = command{summary: "list, show and replay webhook events", run: runEvents}
}

const eventsUsage = `Usage:
  paywarden events list [--status S] [--type T] [--limit N] [--format text|json]
  paywarden events show ID [--format text|json]
  paywarden events replay ID
  paywarden events replay --status S
  paywarden events reconcile --since D

reconcile lists Stripe's Events API (read key) for events created since D (a date
such as 2026-11-01, an RFC 3339 time, or a duration such as 72h) and stores the
ones that were never delivered. Stripe keeps events for 30 days.

Statuses: pending, processed, failed, dead, quarantined. replay sets events back
to pending; a running serve processes them. The database is PAYWARDEN_DATABASE_URL.

Replaying a quarantined event (one sent at another API version than the pinned
one) never applies its stored payload as if it were the pinned version: the
workers re-read its object from Stripe, which answers at the pinned version, and
mirror that. While Stripe cannot be reached the event fails and is retried; an
object Stripe no longer has is marked deleted in the mirror. Subscribers receive
the event as Stripe sent it, its api_version naming its shape. There is no
--accept-version: a payload of another version is never mirrored.
`

// quarantineNote is printed when quarantined events are replayed.
const quarantineNote = "note: quarantined events are not mirrored from their payloads; the workers re-read each object from Stripe at the pinned API version %s\n"

func runEvents(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, eventsUsage)
		return usageErrorf("events: want a subcommand: list, show or replay")
	}
	sub, args := e.args[0], e.args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, eventsUsage)
		return nil
	case "list":
		return eventsList(ctx, e, args)
	case "show":
		return eventsShow(ctx, e, args)
	case "replay":
		return eventsReplay(ctx, e, args)
	case "reconcile":
		return eventsReconcile(ctx, e, args)
	}
	fmt.Fprint(e.stderr, eventsUsage)
	return usageErrorf("events: unknown subcommand %q", sub)
}

// eventJSON is an event as the events command prints it.
type eventJSON struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Status     string          `json:"status"`
	Created    time.Time       `json:"created"`
	ReceivedAt time.Time       `json:"received_at"`
	Attempts   int             `json:"attempts"`
	APIVersion string          `json:"api_version"`
	Livemode   bool            `json:"livemode"`
	Endpoint   string          `json:"endpoint"`
	ObjectType string          `json:"object_type,omitempty"`
	ObjectID   string          `json:"object_id,omitempty"`
	LastError  string          `json:"last_error,omitempty"`
	NextTry    *time.Time      `json:"next_attempt_at,omitempty"`
	Processed  *time.Time      `json:"processed_at,omitempty"`
	Payload    json.RawMessage `json:"payload,omitempty"`
}

func toEventJSON(ev *paywarden.Event, payload bool) eventJSON {
	j := eventJSON{
		ID: ev.ID, Type: ev.Type, Status: string(ev.Status), Created: ev.Created, ReceivedAt: ev.ReceivedAt,
		Attempts: ev.Attempts, APIVersion: ev.APIVersion, Livemode: ev.Livemode, Endpoint: ev.Endpoint,
		ObjectType: ev.ObjectType, ObjectID: ev.ObjectID, LastError: ev.LastError,
	}
	if !ev.ProcessedAt.IsZero() {
		j.Processed = &ev.ProcessedAt
	}
	if ev.Status == paywarden.EventFailed && !ev.NextAttemptAt.IsZero() {
		j.NextTry = &ev.NextAttemptAt
	}
	if payload && json.Valid(ev.Payload) {
		j.Payload = ev.Payload
	}
	return j
}

func formatFlag(fs *flag.FlagSet) *string {
	return fs.String("format", "text", "output `format`: text or json")
}

func checkFormat(f string) error {
	if f != "text" && f != "json" {
		return usageErrorf("--format must be text or json, got %q", f)
	}
	return nil
}

func eventsList(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("events list", flag.ContinueOnError)
	status := fs.String("status", "", "only events of this `status`")
	typ := fs.String("type", "", "only events of this `type`, e.g. customer.updated")
	limit := fs.Int("limit", 50, "at most `N` events, newest first")
	format := formatFlag(fs)
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if *status != "" && !paywarden.EventStatus(*status).Valid() {
		return usageErrorf("events list: unknown status %q", *status)
	}
	if *limit <= 0 || *limit > 10000 {
		return usageErrorf("events list: --limit must be between 1 and 10000")
	}
	st, err := envStore(ctx, e, "events", false)
	if err != nil {
		return err
	}
	defer st.Close()
	events, err := st.ListEvents(ctx, paywarden.EventFilter{Status: paywarden.EventStatus(*status), Type: *typ, Limit: *limit})
	if err != nil {
		return err
	}
	if *format == "json" {
		out := make([]eventJSON, 0, len(events))
		for _, ev := range events {
			out = append(out, toEventJSON(ev, false))
		}
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tATTEMPTS\tCREATED\tRECEIVED\tENDPOINT")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", ev.ID, ev.Type, ev.Status, ev.Attempts,
			ev.Created.Format(time.RFC3339), ev.ReceivedAt.Format(time.RFC3339), ev.Endpoint)
	}
	return tw.Flush()
}

func eventsShow(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("events show", flag.ContinueOnError)
	format := formatFlag(fs)
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("events show: want one event id")
	}
	st, err := envStore(ctx, e, "events", false)
	if err != nil {
		return err
	}
	defer st.Close()
	ev, err := st.Event(ctx, fs.Arg(0))
	if err != nil {
		return eventError(err)
	}
	j := toEventJSON(ev, true)
	if *format == "json" {
		return writeJSON(e.stdout, j)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\ntype\t%s\nstatus\t%s\nattempts\t%d\ncreated\t%s\nreceived\t%s\n",
		j.ID, j.Type, j.Status, j.Attempts, j.Created.Format(time.RFC3339), j.ReceivedAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "api version\t%s\nlivemode\t%t\nendpoint\t%s\nobject\t%s %s\n",
		j.APIVersion, j.Livemode, j.Endpoint, j.ObjectType, j.ObjectID)
	if j.Processed != nil {
		fmt.Fprintf(tw, "processed\t%s\n", j.Processed.Format(time.RFC3339))
	}
	if j.LastError != "" {
		fmt.Fprintf(tw, "last error\t%s\n", j.LastError)
	}
	if ev.Status == paywarden.EventQuarantined {
		fmt.Fprintf(tw, "note\tits API version differs from the pinned one; replay it after upgrading (its object is then re-read from Stripe, not taken from this payload)\n")
	}
	return tw.Flush()
}

func eventsReplay(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("events replay", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), eventsUsage) }
	status := fs.String("status", "", "replay every event of this `status`")
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	switch {
	case *status == "" && fs.NArg() != 1, *status != "" && fs.NArg() != 0:
		return usageErrorf("events replay: want one event id, or --status S")
	case *status != "" && !paywarden.EventStatus(*status).Valid():
		return usageErrorf("events replay: unknown status %q", *status)
	}
	st, err := envStore(ctx, e, "events", false)
	if err != nil {
		return err
	}
	defer st.Close()
	if *status != "" {
		n, err := st.ReplayEvents(ctx, paywarden.EventStatus(*status))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d %s event(s) set back to pending\n", n, *status)
		if paywarden.EventStatus(*status) == paywarden.EventQuarantined && n > 0 {
			fmt.Fprintf(e.stdout, quarantineNote, stripeapi.APIVersion)
		}
		return nil
	}
	ev, err := st.Event(ctx, fs.Arg(0))
	if err != nil {
		return eventError(err)
	}
	if err := st.ReplayEvent(ctx, ev.ID); err != nil {
		return eventError(err)
	}
	fmt.Fprintf(e.stdout, "%s set back to pending\n", ev.ID)
	if ev.Status == paywarden.EventQuarantined {
		fmt.Fprintf(e.stdout, quarantineNote, stripeapi.APIVersion)
	}
	return nil
}

func eventsReconcile(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("events reconcile", flag.ContinueOnError)
	sinceFlag := fs.String("since", "", "recover events created since this `time`: 2026-11-01, RFC 3339, or a duration such as 72h")
	ce := *e
	ce.args = args
	s, err := loadConfig(ctx, &ce, fs, config.WithoutListener())
	if err != nil {
		return err
	}
	now := time.Now()
	since, err := parseSince(*sinceFlag, now)
	if err != nil {
		return usageErrorf("events reconcile: %v", err)
	}
	st, err := s.store(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	sc, err := s.stripeClient()
	if err != nil {
		return err
	}
	res, err := webhook.Reconcile(ctx, sc, st, since, now, stripeapi.APIVersion, s.cfg.Secrets.Livemode())
	if res.NearRetention {
		fmt.Fprintf(e.stderr, "warning: %s is close to Stripe's 30-day event retention: older events cannot be recovered\n",
			since.Format(time.RFC3339))
	}
	if err != nil {
		return s.safe(err)
	}
	fmt.Fprintf(e.stdout, "listed %d event(s) since %s: %d were missing and are now stored (%d quarantined), %d skipped\n",
		res.Listed, since.Format(time.RFC3339), res.Created, res.Quarantined, res.Skipped)
	return nil
}

// parseSince reads a date, an RFC 3339 time or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("--since is required")
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.After(now) {
				return time.Time{}, fmt.Errorf("--since %s is in the future", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q is not a date (2026-11-01), an RFC 3339 time or a duration (72h)", s)
}

// eventError turns not_found into a one-line problem (exit 1).
func eventError(err error) error {
	if paywarden.ErrorCode(err) == paywarden.ENOTFOUND {
		return &exitError{code: 1, err: fmt.Errorf("%s", paywarden.ErrorMessage(err))}
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

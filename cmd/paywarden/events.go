package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/webhook"
)

func init() {
	commands["events"] = command{summary: "list, show, replay and reconcile webhook events", run: eventsGroup.run}
}

var eventsGroup = group{name: "events", purpose: "inspect, re-run and recover the webhook events paywarden stored", subs: []subcommand{
	{"list", "list stored events, newest first", eventsList},
	{"show", "show one event with its payload", eventsShow},
	{"replay", "set events back to pending so that a running serve processes them again", eventsReplay},
	{"reconcile", "store the events Stripe lists that were never delivered", eventsReconcile},
}}

const statusNote = "Statuses: pending, processed, failed, dead, quarantined."

// quarantineRule is what replaying a quarantined event does, for
// events replay --help.
const quarantineRule = "Replaying a quarantined event (one sent at another API version than the pinned one) " +
	"never applies its stored payload as if it were the pinned version: the workers re-read its object " +
	"from Stripe, which answers at the pinned version, and mirror that. While Stripe cannot be reached " +
	"the event fails and is retried; an object Stripe no longer has is marked deleted in the mirror. " +
	"Subscribers receive the event as Stripe sent it, its api_version naming its shape. There is no " +
	"--accept-version: a payload of another version is never mirrored."

// quarantineNote is printed when quarantined events are replayed.
const quarantineNote = "note: quarantined events are not mirrored from their payloads; the workers re-read each object from Stripe at the pinned API version %s"

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

func eventsList(ctx context.Context, e *env) error {
	c := newCmdline("events list", "list stored webhook events, newest first (reads the database only)").
		note(statusNote).
		example("paywarden events list --status dead --limit 20", "paywarden events list --type invoice.paid --format json")
	status := c.fs.String("status", "", "only events of this `STATUS`")
	typ := c.fs.String("type", "", "only events of this `TYPE`, e.g. customer.updated")
	limit := c.fs.Int("limit", 50, "at most `N` events, 1 to 10000")
	format := c.format()
	c.database()
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	if *status != "" && !paywarden.EventStatus(*status).Valid() {
		return c.usageError("unknown status %s", quoteArg(*status))
	}
	if *limit <= 0 || *limit > 10000 {
		return c.usageError("--limit must be between 1 and 10000")
	}
	st, s, err := c.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	events, err := st.ListEvents(ctx, paywarden.EventFilter{Status: paywarden.EventStatus(*status), Type: *typ, Limit: *limit})
	if err != nil {
		return s.safe(err)
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
	// What came from outside is escaped: a stored type must not drive the
	// operator's terminal.
	esc := paywarden.EscapeText
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", esc(ev.ID), esc(ev.Type), ev.Status, ev.Attempts,
			ev.Created.Format(time.RFC3339), ev.ReceivedAt.Format(time.RFC3339), esc(ev.Endpoint))
	}
	return tw.Flush()
}

// openExisting loads the database configuration and opens a database that
// must already exist and be current: for commands that never create one.
func (c *cmdline) openExisting(ctx context.Context, e *env) (paywarden.Store, *setup, error) {
	s, err := c.load(ctx, e, config.WithoutSecrets())
	if err != nil {
		return nil, nil, err
	}
	st, err := s.store(ctx, false)
	return st, s, err
}

func eventsShow(ctx context.Context, e *env) error {
	c := newCmdline("events show", "show one stored webhook event with its payload (reads the database only)").
		arg("ID", "the event id, evt_...").
		example("paywarden events show evt_1QxYZ2AbCdEfGh --format json")
	format := c.format()
	c.database()
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	st, s, err := c.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	ev, err := st.Event(ctx, c.Args[0])
	if err != nil {
		return s.safe(eventError(err))
	}
	j := toEventJSON(ev, true)
	if *format == "json" {
		return writeJSON(e.stdout, j)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	esc := paywarden.EscapeText
	fmt.Fprintf(tw, "id\t%s\ntype\t%s\nstatus\t%s\nattempts\t%d\ncreated\t%s\nreceived\t%s\n",
		esc(j.ID), esc(j.Type), j.Status, j.Attempts, j.Created.Format(time.RFC3339), j.ReceivedAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "api version\t%s\nlivemode\t%t\nendpoint\t%s\nobject\t%s %s\n",
		esc(j.APIVersion), j.Livemode, esc(j.Endpoint), esc(j.ObjectType), esc(j.ObjectID))
	if j.Processed != nil {
		fmt.Fprintf(tw, "processed\t%s\n", j.Processed.Format(time.RFC3339))
	}
	if j.LastError != "" {
		fmt.Fprintf(tw, "last error\t%s\n", esc(j.LastError))
	}
	if ev.Status == paywarden.EventQuarantined {
		fmt.Fprintf(tw, "note\tits API version differs from the pinned one; replay it after upgrading (its object is then re-read from Stripe, not taken from this payload)\n")
	}
	return tw.Flush()
}

// replayResult is what events replay --format json prints.
type replayResult struct {
	ID       string `json:"id,omitempty"`
	Status   string `json:"status,omitempty"`
	Replayed int64  `json:"replayed"`
	// Note says how quarantined events are processed, when any were replayed.
	Note string `json:"note,omitempty"`
}

func eventsReplay(ctx context.Context, e *env) error {
	c := newCmdline("events replay", "set one event, or every event of a status, back to pending; a running serve processes them").
		optArg("ID", "the event id, evt_...; or give --status instead", false).
		note(statusNote+" Replay quarantined events after upgrading paywarden to their API version.\n\n"+quarantineRule).
		example("paywarden events replay evt_1QxYZ2AbCdEfGh", "paywarden events replay --status dead --format json")
	status := c.fs.String("status", "", "replay every event of this `STATUS`")
	format := c.format()
	c.database()
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	switch {
	case *status == "" && len(c.Args) != 1, *status != "" && len(c.Args) != 0:
		return c.usageError("want one event id, or --status S")
	case *status != "" && !paywarden.EventStatus(*status).Valid():
		return c.usageError("unknown status %s", quoteArg(*status))
	}
	st, s, err := c.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	var res replayResult
	if *status != "" {
		n, err := st.ReplayEvents(ctx, paywarden.EventStatus(*status))
		if err != nil {
			return s.safe(err)
		}
		res = replayResult{Status: *status, Replayed: int64(n)}
		if paywarden.EventStatus(*status) == paywarden.EventQuarantined && n > 0 {
			res.Note = fmt.Sprintf(quarantineNote, stripeapi.APIVersion)
		}
	} else {
		ev, err := st.Event(ctx, c.Args[0])
		if err != nil {
			return s.safe(eventError(err))
		}
		if err := st.ReplayEvent(ctx, ev.ID); err != nil {
			return s.safe(eventError(err))
		}
		res = replayResult{ID: ev.ID, Replayed: 1}
		if ev.Status == paywarden.EventQuarantined {
			res.Note = fmt.Sprintf(quarantineNote, stripeapi.APIVersion)
		}
	}
	switch {
	case *format == "json":
		return writeJSON(e.stdout, res)
	case res.ID != "":
		fmt.Fprintf(e.stdout, "%s set back to pending\n", res.ID)
	default:
		fmt.Fprintf(e.stdout, "%d %s event(s) set back to pending\n", res.Replayed, res.Status)
	}
	if res.Note != "" {
		fmt.Fprintln(e.stdout, res.Note)
	}
	return nil
}

// reconcileJSON is what events reconcile --format json prints.
type reconcileJSON struct {
	Since       time.Time `json:"since"`
	Listed      int       `json:"listed"`
	Created     int       `json:"created"`
	Quarantined int       `json:"quarantined"`
	Skipped     int       `json:"skipped"`
	Warning     string    `json:"warning,omitempty"`
}

func eventsReconcile(ctx context.Context, e *env) error {
	c := newCmdline("events reconcile", "list Stripe's Events API (read key) and store the events that were never delivered").
		note("Stripe keeps events for 30 days: a --since further back recovers only what Stripe still lists.").
		example("paywarden events reconcile --since 72h", "paywarden events reconcile --since 2026-11-01 --format json")
	sinceFlag := c.fs.String("since", "", "recover events created since `WHEN`: a date (2026-11-01), an RFC 3339 time, or a duration back from now (72h, 7d)")
	format := c.format()
	c.settings(config.VarDatabaseURL, config.VarEnv, config.VarStripeAPIBase, config.VarStripeRateLimit,
		config.VarAllowMixedMode, config.VarLogLevel, config.VarLogFormat)
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	now := time.Now()
	since, err := parseSince(*sinceFlag, now)
	if err != nil {
		return c.usageError("%v", err)
	}
	s, err := c.load(ctx, e, config.WithKeysOnly())
	if err != nil {
		return err
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
	out := reconcileJSON{Since: since, Listed: res.Listed, Created: res.Created, Quarantined: res.Quarantined,
		Skipped: res.Skipped, Warning: retentionWarning(since, now)}
	if out.Warning != "" && *format == "text" {
		fmt.Fprintf(e.stderr, "warning: %s\n", out.Warning)
	}
	if err != nil {
		return s.safe(err)
	}
	if *format == "json" {
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "listed %d event(s) since %s: %d were missing and are now stored (%d quarantined), %d skipped\n",
		res.Listed, since.Format(time.RFC3339), res.Created, res.Quarantined, res.Skipped)
	return nil
}

// retentionWarning says whether since lies past Stripe's 30-day event
// retention, or within three days of it, and "" otherwise.
func retentionWarning(since, now time.Time) string {
	limit := now.Add(-webhook.Retention)
	switch {
	case since.Before(limit):
		return fmt.Sprintf("--since %s is past Stripe's 30-day event retention: events created before %s cannot be recovered; reconciling from there",
			since.Format(time.RFC3339), limit.Format(time.RFC3339))
	case since.Before(limit.Add(3 * 24 * time.Hour)):
		return fmt.Sprintf("--since %s is within 3 days of Stripe's 30-day event retention: events created before %s cannot be recovered",
			since.Format(time.RFC3339), limit.Format(time.RFC3339))
	}
	return ""
}

// parseSince reads a date, an RFC 3339 time, or a duration before now in
// Go's form (72h) or in days (40d).
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("--since is required")
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 3650 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.After(now) {
				return time.Time{}, fmt.Errorf("--since %s is in the future", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q is not a date (2026-11-01), an RFC 3339 time or a duration (72h, 7d)", s)
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

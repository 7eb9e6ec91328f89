package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/backfill"
	"github.com/paywarden/paywarden/internal/config"
)

func init() {
	commands["sync"] = command{summary: "backfill the mirror from Stripe's list APIs", run: runSync}
}

const syncNote = `sync pages through Stripe's list APIs with the read key (PAYWARDEN_READ_KEY, else
STRIPE_SECRET_KEY), under the client's rate limit and retries, and writes each object
into the local mirror behind the same ordering guard as webhooks: state from an event
created after the listing is kept. Objects the mirror already holds as listed are not
written again, so a re-run that finds nothing new writes nothing.

It is resumable: a cursor per object type is committed after each page, so a sync that
was interrupted or killed continues after the last page it stored. A type that finished
is not listed again unless --restart is given or --since asks for objects older than
those it listed; a --since its cursor covers (such as 720h given again later) continues
or skips the type under the cursor's own bound.

On a terminal a progress bar shows each type's objects and rate (Stripe gives no totals,
so there is no ETA); otherwise a log line every few seconds goes to stderr. The summary
goes to stdout. Exit 0 when every type is done, 1 when the sync stopped: run it again to
continue.`

// syncLogEvery is how often a sync that is not on a terminal logs progress.
const syncLogEvery = 5 * time.Second

func runSync(ctx context.Context, e *env) error {
	c := newCmdline("sync", "backfill the local mirror from Stripe's list APIs, resumably").
		note(syncNote).
		example("paywarden sync", "paywarden sync --objects charges,refunds --since 2026-01-01",
			"paywarden sync --objects subscriptions --restart --format json")
	objects := c.fs.String("objects", "", "comma-separated object `TYPES` to sync (default all): "+strings.Join(pluralTypes(), ", "))
	sinceFlag := c.fs.String("since", "", "only objects created since `WHEN`: a date (2026-11-01), an RFC 3339 time, or a duration back from now (720h)")
	restart := c.fs.Bool("restart", false, "forget the cursors of these types and list them from the newest object")
	format := c.format()
	c.settings(config.VarDatabaseURL, config.VarEnv, config.VarStripeAPIBase, config.VarStripeRateLimit,
		config.VarAllowMixedMode, config.VarLogLevel, config.VarLogFormat)
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	types, err := syncTypes(*objects)
	if err != nil {
		return c.usageError("%v", err)
	}
	var since time.Time
	if *sinceFlag != "" {
		if since, err = parseSince(*sinceFlag, time.Now()); err != nil {
			return c.usageError("%v", err)
		}
	}
	s, err := c.load(ctx, e, config.WithKeysOnly())
	if err != nil {
		return err
	}
	st, err := s.store(ctx, !s.cfg.Production())
	if err != nil {
		return err
	}
	defer st.Close()
	sc, err := s.stripeClient()
	if err != nil {
		return err
	}
	opts := backfill.Options{Types: types, Since: since, Restart: *restart, Logger: s.log,
		Progress: backfill.NewLogProgress(s.log, syncLogEvery)}
	// The bar redraws its line with \r, which the line-scrubbing stderr
	// would hold back; it shows only type names and counts.
	if f, ok := e.logOut().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress = backfill.NewBar(f)
	}
	res, runErr := backfill.Run(ctx, sc, st, opts)
	if res != nil {
		var werr error
		if *format == "json" {
			werr = writeJSON(e.stdout, syncJSON(res, since, runErr == nil))
		} else {
			werr = writeSyncTable(e.stdout, res)
		}
		if runErr == nil {
			return werr
		}
	}
	if ctx.Err() != nil {
		return &exitError{code: 1, err: errors.New("sync interrupted: each type's cursor holds its place; run sync again to continue")}
	}
	return s.safe(fmt.Errorf("sync stopped; the cursors keep their place for the next run: %w", runErr))
}

// syncTypes reads --objects: object types, singular or plural, in the
// order given; empty means every mirrored type.
func syncTypes(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return slices.Clone(paywarden.MirroredTypes), nil
	}
	var types []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		typ := name
		if !slices.Contains(paywarden.MirroredTypes, typ) {
			typ = strings.TrimSuffix(name, "s")
		}
		if name == "" || !slices.Contains(paywarden.MirroredTypes, typ) {
			return nil, fmt.Errorf("--objects: unknown type %s; want some of %s", quoteArg(name), strings.Join(pluralTypes(), ", "))
		}
		if !slices.Contains(types, typ) {
			types = append(types, typ)
		}
	}
	return types, nil
}

func pluralTypes() []string {
	var out []string
	for _, t := range paywarden.MirroredTypes {
		out = append(out, t+"s")
	}
	return out
}

func writeSyncTable(w io.Writer, res *backfill.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tSTATUS\tLISTED\tWRITTEN\tUNCHANGED\tNEWER KEPT\tPAGES\tDURATION\tRATE")
	var total backfill.TypeResult
	for _, r := range res.Types {
		status := string(r.Status)
		if r.Resumed {
			status += " (resumed)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Type, status, r.Listed, r.Written, r.Unchanged,
			r.Newer, r.Pages, r.Duration.Round(time.Millisecond), backfill.Rate(r.Listed, r.Duration))
		total.Listed, total.Written, total.Unchanged = total.Listed+r.Listed, total.Written+r.Written, total.Unchanged+r.Unchanged
		total.Newer, total.Pages, total.Duration = total.Newer+r.Newer, total.Pages+r.Pages, total.Duration+r.Duration
	}
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", total.Listed, total.Written, total.Unchanged,
		total.Newer, total.Pages, total.Duration.Round(time.Millisecond), backfill.Rate(total.Listed, total.Duration))
	return tw.Flush()
}

// syncTypeJSON is one type of the JSON summary: this run's counts, and the
// totals since the type's listing started.
type syncTypeJSON struct {
	Type       string     `json:"type"`
	Status     string     `json:"status"`
	Resumed    bool       `json:"resumed"`
	Listed     int64      `json:"listed"`
	Written    int64      `json:"written"`
	Unchanged  int64      `json:"unchanged"`
	NewerKept  int64      `json:"newer_kept"`
	Pages      int64      `json:"pages"`
	DurationMS int64      `json:"duration_ms"`
	Cursor     *cursorRef `json:"cursor,omitempty"`
}

type cursorRef struct {
	LastID    string    `json:"last_id,omitempty"`
	Done      bool      `json:"done"`
	Listed    int64     `json:"listed"`
	Written   int64     `json:"written"`
	Unchanged int64     `json:"unchanged"`
	NewerKept int64     `json:"newer_kept"`
	Pages     int64     `json:"pages"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type syncSummaryJSON struct {
	Since    *time.Time     `json:"since,omitempty"`
	Complete bool           `json:"complete"`
	Types    []syncTypeJSON `json:"types"`
}

func syncJSON(res *backfill.Result, since time.Time, complete bool) syncSummaryJSON {
	out := syncSummaryJSON{Complete: complete, Types: []syncTypeJSON{}}
	if !since.IsZero() {
		out.Since = &since
	}
	for _, r := range res.Types {
		j := syncTypeJSON{Type: r.Type, Status: string(r.Status), Resumed: r.Resumed, Listed: r.Listed,
			Written: r.Written, Unchanged: r.Unchanged, NewerKept: r.Newer, Pages: r.Pages,
			DurationMS: r.Duration.Milliseconds()}
		if c := r.Cursor; c != nil {
			j.Cursor = &cursorRef{LastID: c.LastID, Done: c.Done, Listed: c.Listed, Written: c.Written,
				Unchanged: c.Unchanged, NewerKept: c.Newer, Pages: c.Pages, StartedAt: c.StartedAt, UpdatedAt: c.UpdatedAt}
		}
		out.Types = append(out.Types, j)
	}
	return out
}

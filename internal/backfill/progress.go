package backfill

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/schollz/progressbar/v3"
)

// Progress is told what a run does, as it does it. Calls come from the
// goroutine that called Run, one type at a time. Nothing it is given holds
// a secret.
type Progress interface {
	// Begin is called when the listing of a type starts or resumes; cur
	// holds the totals of earlier runs.
	Begin(typ string, cur *paywarden.SyncCursor)
	// Page is called after each page is stored, with its object count.
	Page(typ string, objects int)
	// End is called once per type, also for one that is skipped or stopped.
	End(r TypeResult)
}

type nopProgress struct{}

func (nopProgress) Begin(string, *paywarden.SyncCursor) {}
func (nopProgress) Page(string, int)                    {}
func (nopProgress) End(TypeResult)                      {}

// Bar shows a progress bar per type on a terminal: objects listed so far
// and the rate. Stripe's lists give no total, so there is no ETA.
type Bar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// NewBar returns a Bar drawing on w, a terminal.
func NewBar(w io.Writer) *Bar { return &Bar{w: w} }

// Begin starts the type's bar.
func (b *Bar) Begin(typ string, cur *paywarden.SyncCursor) {
	desc := typ
	if cur.LastID != "" {
		desc = fmt.Sprintf("%s (resumed after %d)", typ, cur.Listed)
	}
	b.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("objects"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSpinnerType(14),
		// Redrawn on each page only: the bar's own ticker would outlive it.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
}

// Page adds a page's objects to the bar.
func (b *Bar) Page(_ string, objects int) {
	if b.bar != nil {
		b.bar.Add(objects)
	}
}

// End leaves the type's last line on the terminal.
func (b *Bar) End(r TypeResult) {
	if b.bar == nil {
		fmt.Fprintf(b.w, "%s: %s\n", r.Type, r.Status)
		return
	}
	b.bar.Exit()
	fmt.Fprintf(b.w, " %s\n", r.Status)
	b.bar = nil
}

// LogProgress writes one log line per type started and ended and, while a
// type is listed, at most one line every Every: for a sync whose output is
// not a terminal.
type LogProgress struct {
	logger *slog.Logger
	every  time.Duration

	mu     sync.Mutex
	start  time.Time
	last   time.Time
	listed int64
	total  int64
}

// NewLogProgress returns a LogProgress that logs to logger at most once
// every every while a type is listed; zero logs every page.
func NewLogProgress(logger *slog.Logger, every time.Duration) *LogProgress {
	return &LogProgress{logger: logger, every: every}
}

// Begin logs the start of a type.
func (p *LogProgress) Begin(typ string, cur *paywarden.SyncCursor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start, p.last, p.listed, p.total = time.Now(), time.Now(), 0, cur.Listed
	if cur.LastID != "" {
		p.logger.Info("sync resumes", "type", typ, "listed_before", cur.Listed)
		return
	}
	p.logger.Info("sync starts", "type", typ)
}

// Page logs progress when Every has passed since the last line.
func (p *LogProgress) Page(typ string, objects int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listed += int64(objects)
	now := time.Now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	p.logger.LogAttrs(context.Background(), slog.LevelInfo, "sync progress", slog.String("type", typ),
		slog.Int64("listed", p.listed), slog.Int64("total", p.total+p.listed),
		slog.String("rate", Rate(p.listed, now.Sub(p.start))))
}

// End logs how the type ended.
func (p *LogProgress) End(r TypeResult) {
	p.logger.Info("sync "+string(r.Status), "type", r.Type, "listed", r.Listed, "written", r.Written,
		"unchanged", r.Unchanged, "newer_kept", r.Newer, "pages", r.Pages, "duration", r.Duration.Round(time.Millisecond),
		"rate", Rate(r.Listed, r.Duration))
}

// Rate formats n objects in d as a rate per second, "-" for none.
func Rate(n int64, d time.Duration) string {
	if n == 0 || d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f/s", float64(n)/d.Seconds())
}

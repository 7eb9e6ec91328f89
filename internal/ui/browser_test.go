package ui

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paywarden/paywarden"
)

var screenshots = flag.Bool("screenshots", false, "TestChartsInChromium writes its screenshots to docs/screenshots")

// TestChartsInChromium renders the posture and revenue pages, with sample
// data from fakes of the report functions, in headless Chromium: the
// stylesheet must load under the Content-Security-Policy and colour the
// SVG charts, which no Go test can see.
func TestChartsInChromium(t *testing.T) {
	var chrome string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		t.Skip("Chromium is not installed (Debian: apt-get install chromium); the charts' browser test needs it")
	}
	h := newHarness(t, func(o *Options) {
		o.Posture = func(ctx context.Context) ([]Check, error) {
			return []Check{
				{Name: "database", Status: "ok", Detail: "sqlite:paywarden.db, migrations current"},
				{Name: "webhook endpoint", Status: "warn", Detail: "api_version 2025-01-27.acacia differs from the pinned one",
					Advice: "Update the endpoint's API version in the Stripe dashboard."},
				{Name: "stripe key", Status: "fail", Detail: "a secret key (sk_) is used for every capability",
					Advice: "Give each capability a restricted key (rk_)."},
			}, nil
		}
		o.Revenue = func(ctx context.Context, from, to time.Time, interval string) ([]RevenueRow, error) {
			var rows []RevenueRow
			for i, g := range []int64{182000, 214500, 198000, 251000, 276500, 301000} {
				p := time.Date(2026, time.Month(7+i), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
				rows = append(rows, RevenueRow{Period: p, Currency: "eur", Gross: g, Refunded: g / 20,
					Disputed: int64(i%2) * 4000, Fees: g * 3 / 100, Net: g - g/20 - int64(i%2)*4000 - g*3/100, Count: int(g / 4200)})
			}
			return rows, nil
		}
		o.Subscriptions = func(ctx context.Context, at time.Time) (*Subscriptions, error) {
			return &Subscriptions{ByStatus: map[string]int{"active": 118, "trialing": 9, "past_due": 4, "canceled": 21},
				MRR: []MRR{{Currency: "eur", MRR: 236000, New: 18000, Expansion: 6500, Contraction: 2500, Churned: 9000}}}, nil
		}
	})
	tok := h.token("tok_ops", paywarden.ScopeAdmin)

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.IgnoreCertErrors,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900))
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer func() { cancelTimeout(); cancel(); cancelAlloc() }()
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("chromium: %v", err)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	dir := t.TempDir()
	if *screenshots {
		dir = filepath.Join("..", "..", "docs", "screenshots")
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	do(chromedp.Navigate(h.srv.URL+"/ui/login"), chromedp.SendKeys(css("#token"), tok),
		chromedp.Click(css(`form[action="/ui/login"] button`)), chromedp.WaitVisible(css("section.counts")))

	do(chromedp.Navigate(h.srv.URL+"/ui/revenue?from=2026-07-01&to=2027-01-01&interval=month"), chromedp.WaitVisible(css("figure.chart svg")))
	// The stylesheet loaded and coloured the bars: a computed fill from the
	// class, not the SVG default black.
	fill, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("rect.c-net")).fill`))
	if err != nil {
		t.Fatal(err)
	}
	if fill != "rgb(29, 122, 70)" {
		t.Errorf("a net bar's fill: got %q, want rgb(29, 122, 70) from style.css", fill)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg rect").length`))
	if err != nil {
		t.Fatal(err)
	}
	if bars != 6*5+4 {
		t.Errorf("the revenue page draws %d bars, want %d", bars, 6*5+4)
	}
	shot("revenue-sample")

	do(chromedp.Navigate(h.srv.URL+"/ui/posture"), chromedp.WaitVisible(css("table.checks")))
	shot("posture-sample")
}

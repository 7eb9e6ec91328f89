package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripeapi/stripemock"
)

var screenshots = flag.Bool("screenshots", false, "TestDashboardChromium writes its screenshots to docs/screenshots")

// chromiumPath returns the Chromium (or Chrome) binary, or "" when none is
// installed.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// subscriber is an internal service that receives paywarden's deliveries:
// down (503) until told otherwise, then it records what it got.
type subscriber struct {
	*httptest.Server
	mu       sync.Mutex
	up       bool
	received []string // bodies accepted
}

func newSubscriber(t *testing.T) *subscriber {
	s := &subscriber{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.up {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.received = append(s.received, string(b))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *subscriber) setUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up = true
}

func (s *subscriber) got(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.received {
		if strings.Contains(b, `"id":"`+id+`"`) {
			return true
		}
	}
	return false
}

// TestDashboardChromium drives the dashboard in headless Chromium against
// the real binary in development mode, on SQLite and stripe-mock: an
// operator logs in with a token made by `paywarden tokens create`, finds
// the events sent through the webhook endpoint, and replays an event that
// died because its subscriber was down.
func TestDashboardChromium(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("Chromium is not installed (Debian: apt-get install chromium); the dashboard's browser test needs it")
	}
	mock, err := stripemock.Start(context.Background())
	if err != nil {
		t.Fatalf("stripe-mock: %v", err)
	}
	t.Cleanup(mock.Stop)
	sub := newSubscriber(t)

	dir := t.TempDir()
	env := devEnv(dir, mock.URL)
	env["PAYWARDEN_SUBSCRIBERS"] = "billing"
	env["PAYWARDEN_SUBSCRIBER_BILLING_URL"] = sub.URL
	env["PAYWARDEN_SUBSCRIBER_BILLING_TYPES"] = "invoice.*"
	env["PAYWARDEN_SUBSCRIBER_BILLING_SECRET"] = newWebhookSecret()

	// The token, as `make run` tells a new operator to make it.
	cmd := exec.Command(paywardenBinary(t), "tokens", "create", "--name", "ops", "--scope", "admin")
	cmd.Dir, cmd.Env = dir, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tokens create: %v", err)
	}
	token := strings.TrimSpace(string(out))

	// Events through the webhook endpoint: customers, which process, and
	// an invoice, which fails while the billing subscriber is down.
	p := startProc(t, dir, env)
	base := time.Now().Unix() - 60
	var customers []string
	for i := range 6 {
		ev := customerEvent(fmt.Sprintf("cus_e2e%d", i), i, base)
		customers = append(customers, ev.ID)
		if code, body, err := postEvent(p.URL, env["STRIPE_WEBHOOK_SECRET"], ev.body()); err != nil || code != http.StatusOK {
			t.Fatalf("webhook: %d %s %v", code, body, err)
		}
	}
	invoice := event{ID: "evt_" + randAlnum(24), Type: "invoice.payment_succeeded", Created: base + 30, Object: map[string]any{
		"id": "in_" + randAlnum(14), "object": "invoice", "customer": "cus_e2e0", "status": "paid",
		"currency": "eur", "amount_paid": 4200, "created": base, "livemode": false,
	}}
	if code, body, err := postEvent(p.URL, env["STRIPE_WEBHOOK_SECRET"], invoice.body()); err != nil || code != http.StatusOK {
		t.Fatalf("webhook: %d %s %v", code, body, err)
	}
	dbPath := strings.TrimPrefix(env["PAYWARDEN_DATABASE_URL"], "sqlite:")
	st, err := sqlite.Open(context.Background(), dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eventually(t, 30*time.Second, func() error {
		e, err := st.Event(context.Background(), invoice.ID)
		if err != nil || e.Status != paywarden.EventFailed {
			return fmt.Errorf("invoice event: %v %v, want failed", e, err)
		}
		return nil
	})
	if err := p.signalAndWait(t, syscall.SIGTERM); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	killEvent(t, st, invoice.ID)

	// The subscriber is fixed; the operator takes over in the browser.
	sub.setUp()
	p = startProc(t, dir, env)
	shots := screenshotDir(t)
	b := newBrowser(t, chrome)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.do(chromedp.Navigate(p.URL+"/ui/"), chromedp.WaitVisible(css("#token")), chromedp.SendKeys(css("#token"), token))
	b.shot(shots, "login")
	b.do(chromedp.Click(css(`form[action="/ui/login"] button`)), chromedp.WaitVisible(css("section.counts")))
	if h1 := b.text("main h1"); h1 != "Overview" {
		t.Fatalf("after login: got heading %q, want Overview", h1)
	}
	if strings.Contains(b.html("html"), token) {
		t.Errorf("the overview shows the token")
	}
	b.shot(shots, "overview")

	b.do(chromedp.Navigate(p.URL+"/ui/events"), chromedp.WaitVisible(css("table.events")))
	body := b.text("table.events")
	for _, id := range append(customers, invoice.ID) {
		if !strings.Contains(body, id) {
			t.Errorf("the events page lacks %s, sent through the webhook endpoint", id)
		}
	}
	b.shot(shots, "events")

	b.do(chromedp.Navigate(p.URL+"/ui/events/"+invoice.ID), chromedp.WaitVisible(css("dl.facts")))
	if status, lastErr := b.text("dl.facts .badge"), b.text("dd.err"); status != "dead" || !strings.Contains(lastErr, "billing") {
		t.Fatalf("the dead event's page: got status %q and last error %q, want dead and the subscriber's failure", status, lastErr)
	}
	b.shot(shots, "event-dead")

	b.do(chromedp.Click(css(`form[action$="/`+invoice.ID+`/replay"] button`)), chromedp.WaitVisible(css("p.notice")))
	if notice := b.text("p.notice"); !strings.Contains(notice, "Replayed") {
		t.Errorf("after replay: got notice %q", notice)
	}
	eventually(t, 30*time.Second, func() error {
		b.do(chromedp.Reload(), chromedp.WaitVisible(css("dl.facts")))
		if status := b.text("dl.facts .badge"); status != "processed" {
			return fmt.Errorf("replayed event: status %q, want processed", status)
		}
		return nil
	})
	if !sub.got(invoice.ID) {
		t.Errorf("the billing subscriber did not receive the replayed event")
	}
	b.shot(shots, "event-replayed")
}

// killEvent makes the failed event id dead, as the workers do after its
// last allowed attempt: claim it once it is due, then fail it for good with
// the reason its real failure recorded. serve is stopped, so that this
// claim does not race its workers; waiting out the eight real attempts'
// backoff would take minutes.
func killEvent(t *testing.T, st *sqlite.DB, id string) {
	t.Helper()
	ctx := context.Background()
	eventually(t, 30*time.Second, func() error {
		es, err := st.ClaimEvents(ctx, "e2e-test", 10, time.Minute)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.ID != id {
				if err := st.ReleaseEvent(ctx, e.ID, "e2e-test"); err != nil {
					return err
				}
				continue
			}
			if e.LastError == "" {
				return fmt.Errorf("event %s has no recorded failure", id)
			}
			return st.FailEvent(ctx, id, "e2e-test", e.LastError, time.Now(), true)
		}
		return fmt.Errorf("event %s is not due yet", id)
	})
}

// screenshotDir is docs/screenshots with -screenshots, else a temporary
// directory: the pictures are always taken, and committed only on request.
func screenshotDir(t *testing.T) string {
	if !*screenshots {
		return t.TempDir()
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "docs", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium with a fresh profile.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T, chrome string) *browser {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// serve's development certificate is self-signed, made at start.
		chromedp.IgnoreCertErrors,
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return &browser{t: t, ctx: ctx}
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("chromium: %v", err)
	}
}

// text returns the visible text of the first element that matches sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("chromium: text of %s: %v", sel, err)
	}
	return s
}

// html returns the outer HTML of the first element that matches sel.
func (b *browser) html(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("chromium: HTML of %s: %v", sel, err)
	}
	return s
}

// shot saves a full-page PNG of the page as dir/name.png.
func (b *browser) shot(dir, name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("chromium: screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		b.t.Fatalf("screenshot %s is not a PNG", name)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

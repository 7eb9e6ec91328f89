package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden/internal/config"
	"github.com/paywarden/paywarden/internal/doctor"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/ui"
)

func init() {
	commands["doctor"] = command{summary: "check configuration and posture; --online also asks Stripe", run: runDoctor}
}

// doctorReport is what doctor --format json prints.
type doctorReport struct {
	OK     bool           `json:"ok"`
	Online bool           `json:"online"`
	Checks []doctor.Check `json:"checks"`
}

func runDoctor(ctx context.Context, e *env) error {
	c := newCmdline("doctor", "check configuration and posture, each check ok, warn or fail with one line of what to do; exit 1 on any fail").
		note("Offline: configuration, mode, TLS, admin listener, key kinds, secret and database file permissions, a password\n"+
			"in --database-url, pending migrations, dead/quarantined/failed events, key age, reload failures of a serve\n"+
			"running on the admin address. --online also asks Stripe (read key): each key, a restricted key's permissions\n"+
			"(probes that cannot create anything), the webhook endpoints (https, enabled, events, API version) and the\n"+
			"account's mode. doctor never creates the database.").
		example("paywarden doctor --config var/paywarden-dev.toml", "paywarden doctor --online --format json")
	onlineFlag := c.fs.Bool("online", false, "also ask Stripe about the keys, their permissions, the webhook endpoints and the account")
	maxAge := c.fs.String("key-max-age", "", "`AGE` after which a key is due for rotation, such as 90d or 2160h (default 90d; env PAYWARDEN_KEY_MAX_AGE)")
	format := c.format()
	c.settings()
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	if *maxAge == "" {
		*maxAge = e.getenv("PAYWARDEN_KEY_MAX_AGE")
	}
	keyMaxAge, err := parseAge(*maxAge)
	if err != nil {
		return c.usageError("--key-max-age (PAYWARDEN_KEY_MAX_AGE): %v", err)
	}

	o := doctor.Options{KeyMaxAge: keyMaxAge, APIVersion: stripeapi.APIVersion}
	s, err := c.load(ctx, e, config.WithoutListener())
	if err != nil {
		// Report it as a check, and go on with what loads without secrets.
		o.ConfigErr = err
		if s, err = c.load(ctx, e, config.WithoutSecrets()); err != nil {
			s = nil
		}
	}
	if s != nil {
		o.Config = s.cfg
		st, err := openStore(ctx, s.cfg.DatabaseURL.Reveal(), s.log, true)
		if err != nil {
			o.StoreErr = s.safe(err)
		} else {
			defer st.Close()
			o.Store = st
		}
		o.ReloadFailures = func(ctx context.Context) (float64, error) { return scrapeReloadFailures(ctx, s.cfg.AdminAddr) }
		if *onlineFlag && s.cfg.Secrets != nil {
			sc, err := s.stripeClient()
			if err != nil {
				return err
			}
			o.Stripe = sc
		}
	}
	checks := doctor.Run(ctx, o)
	if s != nil {
		for i := range checks {
			checks[i].Detail, checks[i].Advice = s.red.String(checks[i].Detail), s.red.String(checks[i].Advice)
		}
	}
	if err := printChecks(e, *format, doctorReport{OK: !doctor.Failed(checks), Online: o.Stripe != nil, Checks: checks}); err != nil {
		return err
	}
	if doctor.Failed(checks) {
		return problemsFound()
	}
	return nil
}

func printChecks(e *env, format string, r doctorReport) error {
	if format == "json" {
		return writeJSON(e.stdout, r)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, ch := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Status, ch.Name, ch.Detail)
		if ch.Advice != "" {
			fmt.Fprintf(tw, "\t\t-> %s\n", ch.Advice)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := map[doctor.Status]int{}
	for _, ch := range r.Checks {
		counts[ch.Status]++
	}
	scope := "offline"
	if r.Online {
		scope = "offline and online"
	}
	fmt.Fprintf(e.stdout, "\n%d ok, %d warn, %d fail (%s checks)\n", counts[doctor.OK], counts[doctor.Warn], counts[doctor.Fail], scope)
	return nil
}

// parseAge reads a duration in Go's form or in days (90d); "" is the
// default.
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return doctor.DefaultKeyMaxAge, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("want a duration such as 90d or 2160h, got %q", s)
}

// scrapeReloadFailures reads paywarden_secret_reload_failures_total from
// the metrics of a serve on the admin address, summed over secrets.
func scrapeReloadFailures(ctx context.Context, adminAddr string) (float64, error) {
	host, port, err := net.SplitHostPort(adminAddr)
	if err != nil {
		return 0, err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("http://%s/metrics unreachable", net.JoinHostPort(host, port))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("http://%s/metrics answered %d", net.JoinHostPort(host, port), resp.StatusCode)
	}
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "paywarden_secret_reload_failures_total") {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// postureFunc is the dashboard's posture page: the offline doctor checks of
// this serve's own configuration, database and metrics.
func postureFunc(cfg *config.Config, st doctor.Store, reg prometheus.Gatherer, keyMaxAge time.Duration) ui.PostureFunc {
	return func(ctx context.Context) ([]ui.Check, error) {
		checks := doctor.Run(ctx, doctor.Options{
			Config: cfg, Store: st, KeyMaxAge: keyMaxAge, APIVersion: stripeapi.APIVersion,
			ReloadFailures: func(context.Context) (float64, error) {
				return gatheredSum(reg, "paywarden_secret_reload_failures_total")
			},
		})
		out := make([]ui.Check, len(checks))
		for i, c := range checks {
			out[i] = ui.Check{Name: c.Name, Status: string(c.Status), Detail: c.Detail, Advice: c.Advice}
		}
		return out, nil
	}
}

// gatheredSum adds up every series of the counter named name.
func gatheredSum(g prometheus.Gatherer, name string) (float64, error) {
	mfs, err := g.Gather()
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum, nil
}

// keyMaxAge is PAYWARDEN_KEY_MAX_AGE for serve's posture page; a value
// doctor would refuse falls back to the default (doctor says why).
func keyMaxAge(e *env) time.Duration {
	d, err := parseAge(e.getenv("PAYWARDEN_KEY_MAX_AGE"))
	if err != nil {
		return doctor.DefaultKeyMaxAge
	}
	return d
}

package main

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
)

func init() {
	commands["keys"] = command{summary: "show key fingerprints and ages, or verify keys against Stripe", run: keysGroup.run}
}

var keysGroup = group{name: "keys", purpose: "describe the configured Stripe keys (never their values) and prove they work", subs: []subcommand{
	{"status", "fingerprint, source, kind, mode, first seen, age and rotation due of each key", keysStatus},
	{"verify", "prove each key works with one call to Stripe; exit 1 when one does not", keysVerify},
}}

// rotationAge is when a key is reported due for rotation.
const rotationAge = 90 * 24 * time.Hour

// keysSettings are the flags of the keys commands: they need the keys and,
// for first-seen dates, the database, nothing else.
var keysSettings = []string{config.VarEnv, config.VarDatabaseURL, config.VarStripeAPIBase, config.VarLogLevel, config.VarLogFormat}

// keyStatus is one line of keys status.
type keyStatus struct {
	Capability  string     `json:"capability"`
	Fingerprint string     `json:"fingerprint"`
	Source      string     `json:"source"`
	Kind        string     `json:"kind"`
	Mode        string     `json:"mode"`
	FirstSeen   *time.Time `json:"first_seen"` // nil without a database
	AgeDays     int        `json:"age_days"`
	RotationDue bool       `json:"rotation_due"`
}

func keysStatus(ctx context.Context, e *env) error {
	c := newCmdline("keys status", "list the configured Stripe keys by capability: fingerprint (never the value), source, kind, mode, first seen, age, rotation due").
		note("Only the keys are needed (STRIPE_SECRET_KEY and the optional PAYWARDEN_*_KEY, or their _FILE forms). First-seen dates come from\n"+
			"the database when it exists; a key is due for rotation after 90 days.").
		example("paywarden keys status --config var/paywarden-dev.toml", "STRIPE_SECRET_KEY_FILE=/run/secrets/stripe paywarden keys status --format json")
	format := c.format()
	c.settings(keysSettings...)
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	s, err := c.load(ctx, e, config.WithKeysOnly(), config.WithAnyMode())
	if err != nil {
		return err
	}
	var records []*paywarden.KeyRecord
	if st, err := s.store(ctx, false); err != nil {
		fmt.Fprintf(e.stderr, "paywarden: keys status: first seen and age unknown: %s\n", s.safe(err))
	} else {
		// Recording here too means a key's age counts from the first time
		// any paywarden command saw it.
		recordKeys(ctx, s.log, st, s.cfg.Secrets)
		records, err = st.Keys(ctx)
		st.Close()
		if err != nil {
			return s.safe(err)
		}
	}
	now := time.Now()
	var out []keyStatus
	for c, k := range s.cfg.Secrets.Keys() {
		ks := keyStatus{Capability: c, Fingerprint: k.Value.Fingerprint(), Source: k.Source,
			Kind: string(k.Info.Kind), Mode: k.Info.Mode()}
		for _, r := range records {
			if r.Fingerprint == ks.Fingerprint && r.Capability == c {
				ks.FirstSeen = &r.FirstSeen
			}
		}
		if ks.FirstSeen != nil {
			age := now.Sub(*ks.FirstSeen)
			ks.AgeDays, ks.RotationDue = int(age.Hours()/24), age > rotationAge
		}
		out = append(out, ks)
	}
	slices.SortFunc(out, func(a, b keyStatus) int { return capabilityOrder(a.Capability) - capabilityOrder(b.Capability) })
	if *format == "json" {
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CAPABILITY\tFINGERPRINT\tKIND\tMODE\tSOURCE\tFIRST SEEN\tAGE\tROTATION")
	for _, k := range out {
		due := "ok"
		if k.RotationDue {
			due = "due"
		}
		seen, age := "unknown", "-"
		if k.FirstSeen != nil {
			seen, age = k.FirstSeen.Format(time.DateOnly), fmt.Sprintf("%dd", k.AgeDays)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Capability, k.Fingerprint, k.Kind, k.Mode, k.Source, seen, age, due)
	}
	return tw.Flush()
}

func capabilityOrder(c string) int {
	return slices.Index([]string{paywarden.CapabilityDefault, paywarden.CapabilityPayments,
		paywarden.CapabilityBilling, paywarden.CapabilityRead}, c)
}

// keyVerified is one line of keys verify.
type keyVerified struct {
	Capability  string `json:"capability"`
	Fingerprint string `json:"fingerprint"`
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
}

func keysVerify(ctx context.Context, e *env) error {
	c := newCmdline("keys verify", "prove each configured Stripe key works with one read call to Stripe; exit 1 when one does not").
		example("paywarden keys verify", "paywarden keys verify --format json")
	format := c.format()
	c.settings(keysSettings...)
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	s, err := c.load(ctx, e, config.WithKeysOnly(), config.WithAnyMode())
	if err != nil {
		return err
	}
	sc, err := s.stripeClient()
	if err != nil {
		return err
	}
	keys := s.cfg.Secrets.Keys()
	caps := make([]string, 0, len(keys))
	for c := range keys {
		caps = append(caps, c)
	}
	slices.SortFunc(caps, func(a, b string) int { return capabilityOrder(a) - capabilityOrder(b) })
	failed := false
	out := []keyVerified{}
	for _, c := range caps {
		k := keys[c]
		v := keyVerified{Capability: c, Fingerprint: k.Value.Fingerprint(), OK: true}
		if err := sc.Verify(ctx, k.Value); err != nil {
			failed, v.OK, v.Error = true, false, paywarden.ErrorMessage(err)
		}
		out = append(out, v)
	}
	if *format == "json" {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		for _, v := range out {
			if v.OK {
				fmt.Fprintf(e.stdout, "%-9s %s  ok\n", v.Capability, v.Fingerprint)
			} else {
				fmt.Fprintf(e.stdout, "%-9s %s  FAILED: %s\n", v.Capability, v.Fingerprint, v.Error)
			}
		}
	}
	if failed {
		return problemsFound()
	}
	return nil
}

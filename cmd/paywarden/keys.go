package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
)

func init() {
	commands["keys"] = command{summary: "show key fingerprints and ages, or verify keys against Stripe", run: runKeys}
}

// rotationAge is when a key is reported due for rotation.
const rotationAge = 90 * 24 * time.Hour

const keysUsage = `Usage:
  paywarden keys status [--format text|json]
  paywarden keys verify

status lists the configured Stripe keys by capability: fingerprint (never the value),
source, kind, mode, when paywarden first saw the key, its age, and whether rotation is
due (older than 90 days). verify proves each key works with one call to Stripe; it exits
1 when a key does not.
`

func runKeys(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, keysUsage)
		return usageErrorf("keys: want a subcommand: status or verify")
	}
	sub, args := e.args[0], e.args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, keysUsage)
		return nil
	case "status":
		return keysStatus(ctx, e, args)
	case "verify":
		return keysVerify(ctx, e, args)
	}
	fmt.Fprint(e.stderr, keysUsage)
	return usageErrorf("keys: unknown subcommand %q", sub)
}

// keyStatus is one line of keys status.
type keyStatus struct {
	Capability  string    `json:"capability"`
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
	Kind        string    `json:"kind"`
	Mode        string    `json:"mode"`
	FirstSeen   time.Time `json:"first_seen"`
	AgeDays     int       `json:"age_days"`
	RotationDue bool      `json:"rotation_due"`
}

func keysStatus(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("keys status", flag.ContinueOnError)
	format := formatFlag(fs)
	ce := *e
	ce.args = args
	s, err := loadConfig(ctx, &ce, fs, config.WithoutListener())
	if err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	st, err := s.store(ctx, !s.cfg.Production())
	if err != nil {
		return err
	}
	defer st.Close()
	// Recording here too means a key's age counts from the first time any
	// paywarden command saw it.
	recordKeys(ctx, s.log, st, s.cfg.Secrets)
	records, err := st.Keys(ctx)
	if err != nil {
		return s.safe(err)
	}
	now := time.Now()
	var out []keyStatus
	for c, k := range s.cfg.Secrets.Keys() {
		ks := keyStatus{Capability: c, Fingerprint: k.Value.Fingerprint(), Source: k.Source,
			Kind: string(k.Info.Kind), Mode: k.Info.Mode()}
		for _, r := range records {
			if r.Fingerprint == ks.Fingerprint && r.Capability == c {
				ks.FirstSeen = r.FirstSeen
			}
		}
		age := now.Sub(ks.FirstSeen)
		ks.AgeDays, ks.RotationDue = int(age.Hours()/24), age > rotationAge
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%dd\t%s\n", k.Capability, k.Fingerprint, k.Kind, k.Mode, k.Source,
			k.FirstSeen.Format(time.DateOnly), k.AgeDays, due)
	}
	return tw.Flush()
}

func capabilityOrder(c string) int {
	return slices.Index([]string{paywarden.CapabilityDefault, paywarden.CapabilityPayments,
		paywarden.CapabilityBilling, paywarden.CapabilityRead}, c)
}

func keysVerify(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("keys verify", flag.ContinueOnError)
	ce := *e
	ce.args = args
	s, err := loadConfig(ctx, &ce, fs, config.WithoutListener())
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
	for _, c := range caps {
		k := keys[c]
		if err := sc.Verify(ctx, k.Value); err != nil {
			failed = true
			fmt.Fprintf(e.stdout, "%-9s %s  FAILED: %s\n", c, k.Value.Fingerprint(), paywarden.ErrorMessage(err))
			continue
		}
		fmt.Fprintf(e.stdout, "%-9s %s  ok\n", c, k.Value.Fingerprint())
	}
	if failed {
		return problemsFound()
	}
	return nil
}

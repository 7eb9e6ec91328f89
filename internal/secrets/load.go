package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// Policy is what Load and reloads require of the keys besides their shape.
type Policy struct {
	// Production refuses test-mode keys, development refuses live-mode
	// keys, unless AllowMixedMode.
	Production     bool
	AllowMixedMode bool
}

// Load resolves every spec and checks the result: each Stripe key has a
// valid shape, all keys are of one mode and of the mode Policy wants, each
// webhook secret has a valid shape and each endpoint has one active at now.
// It reports every problem at once, each naming its variable and never a
// value. Specs without a default key or without a default webhook
// endpoint are accepted here; requiring them is the caller's business.
func Load(ctx context.Context, r *Resolver, specs []Spec, p Policy, now time.Time) (*Snapshot, error) {
	s := newSnapshot(now)
	s.files = statFiles(specs)
	var errs []error
	for _, sp := range specs {
		res, err := resolveSpec(ctx, r, sp, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.add(sp, res)
	}
	if err := checkModes(s.keys, p); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func newSnapshot(now time.Time) *Snapshot {
	return &Snapshot{
		keys:     map[string]Key{},
		webhooks: map[string][]WebhookSecret{},
		files:    map[string]os.FileInfo{},
		loadedAt: now,
	}
}

// resolved is what one Spec loaded to.
type resolved struct {
	key      Key
	webhooks []WebhookSecret
}

func (s *Snapshot) add(sp Spec, res *resolved) {
	switch sp.Kind {
	case KindStripeKey:
		s.keys[sp.Capability] = res.key
	case KindWebhook:
		s.webhooks[sp.Endpoint] = res.webhooks
	}
}

// specError names the variable, and where it was set when that is not
// the plain environment.
func specError(sp Spec, err error) error {
	where := sp.Name
	if sp.Origin != "" && sp.Origin != "environment" {
		where += " (" + sp.Origin + ")"
	}
	return fmt.Errorf("%s %w", where, err)
}

func resolveSpec(ctx context.Context, r *Resolver, sp Spec, now time.Time) (*resolved, error) {
	res := &resolved{}
	switch sp.Kind {
	case KindStripeKey:
		ref, err := ParseRef(strings.TrimSpace(sp.Configured.Reveal()))
		if err != nil {
			return nil, specError(sp, fmt.Errorf("is a %w", err))
		}
		v, err := res.resolve(ctx, r, ref)
		if err != nil {
			return nil, specError(sp, fmt.Errorf("could not be read: %w", err))
		}
		info, err := paywarden.ParseStripeKey(v)
		if err != nil {
			if ref.Scheme != SchemeLiteral {
				return nil, specError(sp, fmt.Errorf("(from %s) %s", ref, paywarden.ErrorMessage(err)))
			}
			return nil, specError(sp, errors.New(paywarden.ErrorMessage(err)))
		}
		res.key = Key{Value: paywarden.NewSecret(v), Info: info, Name: sp.Name, Source: ref.String()}
	case KindWebhook:
		list, err := res.resolveWebhooks(ctx, r, sp.Configured.Reveal())
		if err != nil {
			return nil, specError(sp, err)
		}
		if len(ActiveWebhookSecrets(list, now)) == 0 {
			return nil, specError(sp, errors.New("has no active secret: every entry is past its not_after"))
		}
		res.webhooks = list
	default:
		return nil, specError(sp, fmt.Errorf("has unknown kind %d", sp.Kind))
	}
	return res, nil
}

func (res *resolved) resolve(ctx context.Context, r *Resolver, ref Ref) (string, error) {
	return r.Resolve(ctx, ref)
}

// refs returns the references a spec names, for watching: what cannot be
// parsed is not watched (loading it fails anyway).
func (sp Spec) refs() []Ref {
	configured := strings.TrimSpace(sp.Configured.Reveal())
	if sp.Kind == KindWebhook {
		entries, _ := ParseWebhookList(configured)
		refs := make([]Ref, len(entries))
		for i, e := range entries {
			refs[i] = e.Ref
		}
		return refs
	}
	ref, err := ParseRef(configured)
	if err != nil {
		return nil
	}
	return []Ref{ref}
}

// statFiles stats every secret file the specs name. It runs before the
// files are read: a change made between the stat and the read is then seen
// as a change at the next poll, and read again, rather than missed.
func statFiles(specs []Spec) map[string]os.FileInfo {
	files := map[string]os.FileInfo{}
	for _, sp := range specs {
		for _, ref := range sp.refs() {
			if ref.Scheme == SchemeFile {
				fi, _ := os.Stat(ref.Name) // a missing file is nil: its appearance is a change
				files[ref.Name] = fi
			}
		}
	}
	return files
}

// filesChanged reports whether any file differs from what was stat'ed:
// content (size, mtime) or identity (inode: Kubernetes swaps a symlink).
func filesChanged(old map[string]os.FileInfo) bool {
	for path, was := range old {
		now, err := os.Stat(path)
		switch {
		case err != nil || was == nil:
			if (err == nil) != (was != nil) {
				return true
			}
		case !os.SameFile(was, now) || was.Size() != now.Size() || !was.ModTime().Equal(now.ModTime()) || was.Mode() != now.Mode():
			return true
		}
	}
	return false
}

// managed reports whether any spec reads a secrets manager.
func managed(specs []Spec) bool {
	for _, sp := range specs {
		for _, ref := range sp.refs() {
			if ref.IsManaged() {
				return true
			}
		}
	}
	return false
}

// resolveWebhooks resolves a webhook secret list. A referenced value may
// itself be a list (a file or a managed secret holding
// "whsec_new,whsec_old;not_after=..."), whose entries must be literal; an
// expiry on the reference applies to entries that have none.
func (res *resolved) resolveWebhooks(ctx context.Context, r *Resolver, configured string) ([]WebhookSecret, error) {
	entries, err := ParseWebhookList(configured)
	if err != nil {
		return nil, err
	}
	var out []WebhookSecret
	for i, e := range entries {
		if e.Ref.Scheme == SchemeLiteral {
			if err := paywarden.ValidateWebhookSecret(e.Ref.Literal()); err != nil {
				return nil, fmt.Errorf("entry %d %s", i+1, paywarden.ErrorMessage(err))
			}
			out = append(out, WebhookSecret{Value: paywarden.NewSecret(e.Ref.Literal()), NotAfter: e.NotAfter})
			continue
		}
		v, err := res.resolve(ctx, r, e.Ref)
		if err != nil {
			return nil, fmt.Errorf("entry %d could not be read: %w", i+1, err)
		}
		inner, err := ParseWebhookList(v)
		if err != nil {
			return nil, fmt.Errorf("entry %d (%s) %w", i+1, e.Ref, err)
		}
		for j, ie := range inner {
			if ie.Ref.Scheme != SchemeLiteral {
				return nil, fmt.Errorf("entry %d (%s): its entry %d is a reference; a referenced list must hold the secrets themselves", i+1, e.Ref, j+1)
			}
			if err := paywarden.ValidateWebhookSecret(ie.Ref.Literal()); err != nil {
				return nil, fmt.Errorf("entry %d (%s) %s", i+1, e.Ref, paywarden.ErrorMessage(err))
			}
			if ie.NotAfter.IsZero() {
				ie.NotAfter = e.NotAfter
			}
			out = append(out, WebhookSecret{Value: paywarden.NewSecret(ie.Ref.Literal()), NotAfter: ie.NotAfter})
		}
	}
	return out, nil
}

// checkModes makes sure every key has one mode, the mode the policy wants.
// Keys of both modes are refused even with AllowMixedMode: the receiver
// rejects events whose livemode differs from the keys' mode, which needs
// one mode to compare with.
func checkModes(keys map[string]Key, p Policy) error {
	var live, test []string
	for _, c := range []string{paywarden.CapabilityDefault, paywarden.CapabilityPayments, paywarden.CapabilityBilling, paywarden.CapabilityRead} {
		k, ok := keys[c]
		if !ok {
			continue
		}
		if k.Info.Livemode {
			live = append(live, k.Name)
		} else {
			test = append(test, k.Name)
		}
	}
	switch {
	case len(live) > 0 && len(test) > 0:
		return fmt.Errorf("keys of both modes: live in %s, test in %s; every Stripe key must be of one mode",
			strings.Join(live, ", "), strings.Join(test, ", "))
	case p.AllowMixedMode:
		return nil
	case p.Production && len(test) > 0:
		return fmt.Errorf("%s is a test-mode key (sk_test_/rk_test_) but PAYWARDEN_ENV is production; use a live-mode key, or set PAYWARDEN_ALLOW_MIXED_MODE=true to run production against test mode",
			strings.Join(test, ", "))
	case !p.Production && len(live) > 0:
		return fmt.Errorf("%s is a live-mode key (sk_live_/rk_live_) but PAYWARDEN_ENV is development; use a test-mode key, or set PAYWARDEN_ALLOW_MIXED_MODE=true to develop against live mode",
			strings.Join(live, ", "))
	}
	return nil
}

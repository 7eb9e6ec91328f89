package config

import (
	"context"
	"sort"
	"strings"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/secrets"
	"github.com/paywarden/paywarden/internal/secrets/awssm"
	"github.com/paywarden/paywarden/internal/secrets/vault"
)

// keyVars are the Stripe key variables by capability.
var keyVars = []struct{ v, capability string }{
	{VarStripeSecretKey, paywarden.CapabilityDefault},
	{VarPaymentsKey, paywarden.CapabilityPayments},
	{VarBillingKey, paywarden.CapabilityBilling},
	{VarReadKey, paywarden.CapabilityRead},
}

// secrets reads the database URL always, and the Stripe secrets unless
// WithoutSecrets.
func (p *parser) secrets(cfg *Config) {
	r := &secrets.Resolver{
		Getenv:     p.envOrDotEnv,
		Production: cfg.Production(),
		NewAWS:     p.opts.newAWS,
		NewVault:   p.opts.newVault,
	}
	if r.NewAWS == nil {
		r.NewAWS = func(ctx context.Context) (secrets.Fetcher, error) { return awssm.New(ctx, p.envOrDotEnv) }
	}
	if r.NewVault == nil {
		r.NewVault = func(ctx context.Context) (secrets.Fetcher, error) { return vault.New(ctx, p.envOrDotEnv) }
	}
	cfg.priv.resolver = r
	ctx := p.opts.ctx

	cfg.DatabaseURL = paywarden.NewSecret(defaultDatabaseURL)
	if s, where, ok := p.lookup(VarDatabaseURL); ok && strings.HasPrefix(where, "flag") {
		cfg.DatabaseURL, cfg.DatabaseURLFromFlag = paywarden.NewSecret(s), true
	} else if configured, origin, ok := p.lookupSecret(VarDatabaseURL); ok {
		ref, err := secrets.ParseRef(configured)
		if err == nil {
			var v string
			if v, err = r.Resolve(ctx, ref); err == nil {
				cfg.DatabaseURL = paywarden.NewSecret(strings.TrimSpace(v))
			}
		}
		if err != nil {
			p.problem("%s (%s) could not be read: %v", VarDatabaseURL, origin, err)
		}
	}

	var livemode bool
	if p.opts.withoutSecrets {
		livemode = cfg.Production()
	} else {
		p.stripeSecrets(cfg, r)
		if !p.opts.keysOnly {
			p.subscribers(cfg, r)
		}
		livemode = cfg.Secrets != nil && cfg.Secrets.Livemode() || cfg.Secrets == nil && cfg.Production()
	}
	cfg.StripeRateLimit = p.rate(VarStripeRateLimit, livemode)
}

func (p *parser) envOrDotEnv(k string) string {
	if v := p.getenv(k); v != "" {
		return v
	}
	return p.dotenv[k]
}

func (p *parser) stripeSecrets(cfg *Config, r *secrets.Resolver) {
	var specs []secrets.Spec
	for _, kv := range keyVars {
		configured, origin, ok := p.lookupSecret(kv.v)
		if !ok {
			if kv.v == VarStripeSecretKey {
				p.problem("%s is not set: paywarden needs a Stripe secret or restricted key (set %s, %s_FILE or a reference such as file:/run/secrets/stripe)",
					VarStripeSecretKey, VarStripeSecretKey, VarStripeSecretKey)
			}
			continue
		}
		specs = append(specs, secrets.Spec{Name: kv.v, Kind: secrets.KindStripeKey, Capability: kv.capability,
			Configured: paywarden.NewSecret(configured), Origin: origin})
	}
	specs = append(specs, p.webhookSpecs()...)
	cfg.priv.specs = specs
	if len(p.problems) > 0 {
		return // do not ask secrets managers for anything of a broken configuration
	}
	// A command that only describes the keys shows their mode; it does
	// not refuse a mix.
	policy := secrets.Policy{Production: cfg.Production(), AllowMixedMode: cfg.AllowMixedMode || p.opts.anyMode}
	snap, err := secrets.Load(p.opts.ctx, r, specs, policy, p.opts.now())
	if err != nil {
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			// One problem a line: a Vault error spans several.
			p.problem("%s", strings.Join(strings.Fields(e.Error()), " "))
		}
		return
	}
	cfg.Secrets = snap
	key := func(c string) paywarden.Secret { k, _ := snap.Key(c); return k.Value }
	cfg.StripeSecretKey = key(paywarden.CapabilityDefault)
	cfg.PaymentsKey = key(paywarden.CapabilityPayments)
	cfg.BillingKey = key(paywarden.CapabilityBilling)
	cfg.ReadKey = key(paywarden.CapabilityRead)
	cfg.WebhookSecrets = map[string][]secrets.WebhookSecret{}
	for _, ep := range snap.Endpoints() {
		cfg.WebhookSecrets[ep] = snap.WebhookSecrets(ep)
	}
}

// webhookSpecs returns the specs of the webhook secrets of every endpoint;
// none for a command loaded WithKeysOnly.
func (p *parser) webhookSpecs() []secrets.Spec {
	if p.opts.keysOnly {
		return nil
	}
	var specs []secrets.Spec
	if configured, origin, ok := p.lookupSecret(VarWebhookSecret); ok {
		specs = append(specs, secrets.Spec{Name: VarWebhookSecret, Kind: secrets.KindWebhook,
			Configured: paywarden.NewSecret(configured), Origin: origin})
	} else {
		p.problem("%s is not set: without a webhook signing secret no event could be verified (set %s, %s_FILE or a reference)",
			VarWebhookSecret, VarWebhookSecret, VarWebhookSecret)
	}
	for _, ep := range p.endpoints() {
		v := VarWebhookSecret + "_" + strings.ToUpper(ep)
		configured, origin, ok := p.lookupSecret(v)
		if !ok {
			p.problem("%s lists endpoint %s but %s is not set", VarWebhookEndpoints, ep, v)
			continue
		}
		specs = append(specs, secrets.Spec{Name: v, Kind: secrets.KindWebhook, Endpoint: ep,
			Configured: paywarden.NewSecret(configured), Origin: origin})
	}
	return specs
}

// endpoints returns the named webhook endpoints, lowercased and sorted:
// STRIPE_WEBHOOK_SECRET_<NAME>[_FILE] in the environment list, the .env
// file and the config file, and the names in PAYWARDEN_WEBHOOK_ENDPOINTS.
func (p *parser) endpoints() []string {
	set := map[string]bool{}
	addVar := func(name string) {
		ep, ok := strings.CutPrefix(name, VarWebhookSecret+"_")
		if !ok || ep == "FILE" {
			return
		}
		ep = strings.TrimSuffix(ep, "_FILE")
		if validEndpoint(ep) {
			set[strings.ToLower(ep)] = true
		}
	}
	for _, kv := range p.opts.environ {
		if name, v, ok := strings.Cut(kv, "="); ok && v != "" {
			addVar(name)
		}
	}
	for name := range p.dotenv {
		addVar(name)
	}
	if p.file != nil {
		for name := range p.file.values {
			addVar(name)
		}
	}
	if list, where, ok := p.lookup(VarWebhookEndpoints); ok {
		for _, ep := range strings.Split(list, ",") {
			ep = strings.TrimSpace(ep)
			if !validEndpoint(ep) {
				p.problem("%s must be a comma-separated list of endpoint names (letters, digits, _)", where)
				continue
			}
			set[strings.ToLower(ep)] = true
		}
	}
	out := make([]string, 0, len(set))
	for ep := range set {
		out = append(out, ep)
	}
	sort.Strings(out)
	return out
}

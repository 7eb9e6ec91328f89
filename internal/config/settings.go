package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/paywarden/paywarden/internal/logging"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// settings parses every setting but the secrets, with its default.
func (p *parser) settings(cfg *Config) {
	cfg.Addr = p.str(VarAddr, defaultAddr)
	cfg.AdminAddr = p.str(VarAdminAddr, defaultAdminAddr)
	cfg.TLSCertFile = p.str(VarTLSCertFile, "")
	cfg.TLSKeyFile = p.str(VarTLSKeyFile, "")
	cfg.TLSTerminatedUpstream = p.boolean(VarTLSTerminatedUpstream)
	cfg.AllowMixedMode = p.boolean(VarAllowMixedMode)
	cfg.StripeAPIVersion = p.str(VarStripeAPIVersion, stripeapi.APIVersion)
	cfg.StripeAPIBase = strings.TrimRight(p.str(VarStripeAPIBase, ""), "/")
	if cfg.StripeAPIBase != "" && !strings.HasPrefix(cfg.StripeAPIBase, "https://") && !strings.HasPrefix(cfg.StripeAPIBase, "http://") {
		p.problem("%s must be a URL starting with https:// or http://", VarStripeAPIBase)
	}
	cfg.WebhookTolerance = p.duration(VarWebhookTolerance, defaultWebhookTolerance, time.Second, time.Hour)
	cfg.SecretsRefresh = p.duration(VarSecretsRefresh, defaultSecretsRefresh, 10*time.Second, 24*time.Hour)
	cfg.WebhookMaxBody = p.size(VarWebhookMaxBody, defaultWebhookMaxBody)

	lvl, where, _ := p.lookup(VarLogLevel)
	var err error
	if cfg.LogLevel, err = logging.ParseLevel(lvl); err != nil {
		p.problem("%s must be debug, info, warn or error", where)
	}
	cfg.LogFormat = "json"
	if cfg.Env == EnvDevelopment {
		cfg.LogFormat = "text"
	}
	if v, where, ok := p.lookup(VarLogFormat); ok {
		switch v {
		case "json", "text":
			cfg.LogFormat = v
		default:
			p.problem("%s must be json or text", where)
		}
	}
}

func (p *parser) str(v, def string) string {
	if s, _, ok := p.lookup(v); ok {
		return strings.TrimSpace(s)
	}
	return def
}

func (p *parser) boolean(v string) bool {
	s, where, ok := p.lookup(v)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		p.problem("%s must be true or false", where)
	}
	return b
}

// duration parses a Go duration ("300s", "5m") or whole seconds ("300").
// For PAYWARDEN_SECRETS_REFRESH, 0 disables the refresh; otherwise the value
// must lie in [min, max].
func (p *parser) duration(v, def string, min, max time.Duration) time.Duration {
	s, where, ok := p.lookup(v)
	if !ok {
		s = def
	}
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		n, err2 := strconv.Atoi(s)
		if err2 != nil {
			p.problem("%s must be a duration such as %s", where, def)
			return 0
		}
		d = time.Duration(n) * time.Second
	}
	if d == 0 && v == VarSecretsRefresh {
		return 0
	}
	if d < min || d > max {
		p.problem("%s must be between %s and %s", where, min, max)
	}
	return d
}

// size parses a byte count: a number with an optional KiB, MiB, KB or MB
// (any case), such as 524288 or 512KiB.
func (p *parser) size(v string, def int64) int64 {
	s, where, ok := p.lookup(v)
	if !ok {
		return def
	}
	s = strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"kb", 1000}, {"mb", 1000 * 1000}, {"b", 1}} {
		if t, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(t), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 64<<20/mult {
		p.problem("%s must be a size between 1 byte and 64MiB, such as 512KiB", where)
		return def
	}
	return n * mult
}

// rate parses requests per second: "80" or "80/s"; 0 means the default for
// the key's mode.
func (p *parser) rate(v string, livemode bool) float64 {
	def := float64(defaultRateTest)
	if livemode {
		def = defaultRateLive
	}
	s, where, ok := p.lookup(v)
	if !ok {
		return def
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), "/s")
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || r < 0 || r > 10000 || r != r {
		p.problem("%s must be a number of requests per second, such as 80 or 80/s", where)
		return def
	}
	if r == 0 {
		return def
	}
	return r
}

// checkAPIVersion makes sure the operator expects the API version this
// build speaks: paywarden cannot speak another.
func (p *parser) checkAPIVersion(cfg *Config) {
	if cfg.StripeAPIVersion == stripeapi.APIVersion {
		return
	}
	_, where, _ := p.lookup(VarStripeAPIVersion)
	if looksSecret(cfg.StripeAPIVersion) {
		cfg.StripeAPIVersion = "(a value shaped like a secret)"
	}
	p.problem("%s is %q but this paywarden is built on stripe-go v85, which pins Stripe API version %q; "+
		"upgrade paywarden to a release built on the stripe-go version that pins %q, or unset %s to use %q",
		where, cfg.StripeAPIVersion, stripeapi.APIVersion, cfg.StripeAPIVersion, VarStripeAPIVersion, stripeapi.APIVersion)
	cfg.StripeAPIVersion = stripeapi.APIVersion
}

// checkTLS requires a certificate in production unless TLS ends upstream,
// explicitly: plain HTTP by accident would carry webhook bodies and bearer
// tokens in clear.
func (p *parser) checkTLS(cfg *Config) {
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		p.problem("%s and %s must be set together", VarTLSCertFile, VarTLSKeyFile)
		return
	}
	if cfg.Production() && cfg.TLSCertFile == "" && !cfg.TLSTerminatedUpstream {
		p.problem("production needs %s and %s, or %s=true when a proxy in front terminates TLS", VarTLSCertFile, VarTLSKeyFile, VarTLSTerminatedUpstream)
	}
}

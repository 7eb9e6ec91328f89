package config

import (
	"net/url"
	"strings"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/secrets"
)

// Subscriber variables. PAYWARDEN_SUBSCRIBERS names the subscribers; each
// NAME then has PAYWARDEN_SUBSCRIBER_<NAME>_URL, _TYPES (comma-separated
// event types, "customer.*" patterns, default every type) and _SECRET (a
// whsec_ signing secret, with _FILE and references as for every secret).
const (
	VarSubscribers      = "PAYWARDEN_SUBSCRIBERS"
	varSubscriberPrefix = "PAYWARDEN_SUBSCRIBER_"
)

// subscribers reads the subscribers. Their secrets are resolved once, at
// start; a restart picks up a new one.
func (p *parser) subscribers(cfg *Config, r *secrets.Resolver) {
	names, _, _ := p.lookup(VarSubscribers)
	for name := range strings.SplitSeq(names, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !validEndpoint(strings.ToLower(name)) {
			p.problem("%s: subscriber name %q must be letters, digits and underscores", VarSubscribers, name)
			continue
		}
		v := varSubscriberPrefix + strings.ToUpper(name)
		s := paywarden.Subscriber{Name: strings.ToLower(name), Types: []string{"*"}}
		rawURL, _, _ := p.lookup(v + "_URL")
		u, err := url.Parse(rawURL)
		if rawURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			p.problem("%s_URL must be an http(s) URL without credentials", v)
			continue
		}
		s.URL = rawURL
		if types, _, ok := p.lookup(v + "_TYPES"); ok && strings.TrimSpace(types) != "" {
			s.Types = nil
			for t := range strings.SplitSeq(types, ",") {
				if t = strings.TrimSpace(t); t != "" {
					s.Types = append(s.Types, t)
				}
			}
		}
		configured, origin, ok := p.lookupSecret(v + "_SECRET")
		if !ok {
			p.problem("%s_SECRET is not set: deliveries to subscriber %s must be signed", v, s.Name)
			continue
		}
		ref, err := secrets.ParseRef(configured)
		var val string
		if err == nil {
			val, err = r.Resolve(p.opts.ctx, ref)
		}
		if err != nil {
			p.problem("%s_SECRET (%s) could not be read: %v", v, origin, err)
			continue
		}
		val = strings.TrimSpace(val)
		if err := paywarden.ValidateWebhookSecret(val); err != nil {
			p.problem("%s_SECRET (%s) %s", v, origin, paywarden.ErrorMessage(err))
			continue
		}
		s.Secret = paywarden.NewSecret(val)
		cfg.Subscribers = append(cfg.Subscribers, s)
	}
}

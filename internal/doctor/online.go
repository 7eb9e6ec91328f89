package doctor

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/secrets"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// eventPrefixes are the event types that carry each mirrored object type:
// an endpoint that enables none of them leaves that part of the mirror
// stale.
var eventPrefixes = map[string][]string{
	paywarden.ObjectCustomer:      {"customer.created", "customer.updated", "customer.deleted"},
	paywarden.ObjectPaymentIntent: {"payment_intent."},
	paywarden.ObjectCharge:        {"charge.succeeded", "charge.failed", "charge.captured", "charge.refunded", "charge.updated"},
	paywarden.ObjectRefund:        {"refund.", "charge.refund.updated"},
	paywarden.ObjectDispute:       {"charge.dispute."},
	paywarden.ObjectSubscription:  {"customer.subscription."},
	paywarden.ObjectInvoice:       {"invoice."},
	paywarden.ObjectPrice:         {"price."},
	paywarden.ObjectProduct:       {"product."},
}

// online asks Stripe: each key, each restricted key's permissions, the
// webhook endpoints and the account.
func online(ctx context.Context, o Options) []Check {
	var checks []Check
	keys := o.Config.Secrets.Keys()
	caps := make([]string, 0, len(keys))
	for c := range keys {
		caps = append(caps, c)
	}
	slices.Sort(caps)
	valid := true
	for _, c := range caps {
		k := keys[c]
		name := "key " + c
		if err := o.Stripe.Verify(ctx, k.Value); err != nil {
			valid = false
			checks = append(checks, fail(name, "replace the key: Stripe Dashboard > Developers > API keys, then reload (SIGHUP)",
				"%s: %s", k.Value.Fingerprint(), firstLine(err)))
			continue
		}
		checks = append(checks, ok(name, "%s %s key accepted by Stripe", k.Value.Fingerprint(), k.Info.Kind))
	}
	if !valid {
		return checks // the other calls would fail for the same reason
	}
	checks = append(checks, checkPermissions(ctx, o, keys)...)
	checks = append(checks, checkEndpoints(ctx, o)...)
	checks = append(checks, checkAccount(ctx, o))
	return checks
}

// checkPermissions probes what each capability with a restricted key of its
// own needs; a capability on the default key uses that key.
func checkPermissions(ctx context.Context, o Options, keys map[string]secrets.Key) []Check {
	var checks []Check
	for _, c := range []string{paywarden.CapabilityPayments, paywarden.CapabilityBilling, paywarden.CapabilityRead} {
		k, own := keys[c]
		if !own {
			k = keys[paywarden.CapabilityDefault]
		}
		if k.Info.Kind != paywarden.KeyRestricted {
			continue
		}
		name := "permissions " + c
		var missing, unknown []string
		for _, p := range stripeapi.Probes {
			if p.Capability != c {
				continue
			}
			allowed, err := o.Stripe.ProbePermission(ctx, p)
			switch {
			case err != nil:
				unknown = append(unknown, fmt.Sprintf("%s (%s)", p.Permission, firstLine(err)))
			case !allowed:
				missing = append(missing, p.Permission)
			}
		}
		switch {
		case len(missing) > 0:
			checks = append(checks, fail(name, "edit the restricted key in the Stripe Dashboard to grant "+strings.Join(missing, ", "),
				"the %s key %s lacks %s", c, k.Value.Fingerprint(), strings.Join(missing, ", ")))
		case len(unknown) > 0:
			checks = append(checks, warn(name, "run doctor --online again; if it persists, check the key in the Stripe Dashboard",
				"could not probe %s", strings.Join(unknown, "; ")))
		default:
			checks = append(checks, ok(name, "the restricted key %s has every permission %s needs", k.Value.Fingerprint(), c))
		}
	}
	return checks
}

// checkEndpoints reviews every webhook endpoint of the account: https,
// enabled, the events paywarden mirrors, and the API version.
func checkEndpoints(ctx context.Context, o Options) []Check {
	eps, err := o.Stripe.ListWebhookEndpoints(ctx)
	if err != nil {
		return []Check{fail("webhook endpoints", "give the read key 'Webhook Endpoints: read', or check connectivity to Stripe", "%s", firstLine(err))}
	}
	if len(eps) == 0 {
		return []Check{fail("webhook endpoints", "add an endpoint at https://YOUR-HOST/webhooks/stripe pinned to "+o.APIVersion+" (Stripe Dashboard > Developers > Webhooks)",
			"the account has no webhook endpoint: paywarden receives nothing")}
	}
	var checks []Check
	for _, ep := range eps {
		checks = append(checks, checkEndpoint(ep, o.APIVersion))
	}
	return checks
}

func checkEndpoint(ep stripeapi.WebhookEndpoint, pinned string) Check {
	name := "webhook endpoint " + ep.ID
	u, err := url.Parse(ep.URL)
	switch {
	case err != nil || u.Scheme != "https":
		return fail(name, "use an https:// URL: Stripe signs events but does not encrypt them", "%s is not https", ep.URL)
	case ep.APIVersion == "":
		return warn(name, "pin the endpoint to "+pinned+": without a version it follows the account default, which may change",
			"%s uses the account's default API version", ep.URL)
	case ep.APIVersion != pinned:
		return fail(name, "add a second endpoint pinned to "+pinned+", then delete this one: docs/OPERATIONS.md, upgrade the API version",
			"%s sends API version %s; paywarden is pinned to %s, so its events are quarantined", ep.URL, ep.APIVersion, pinned)
	case ep.Status != "enabled":
		return warn(name, "enable the endpoint in the Stripe Dashboard, or delete it", "%s is %s", ep.URL, ep.Status)
	}
	if missing := missingObjects(ep.EnabledEvents); len(missing) > 0 {
		return warn(name, "enable events for "+strings.Join(missing, ", ")+" (or *) on the endpoint, or the mirror misses them",
			"%s enables no events for %s", ep.URL, strings.Join(missing, ", "))
	}
	return ok(name, "%s: https, enabled, API version %s, events for every mirrored type", ep.URL, ep.APIVersion)
}

// missingObjects returns the mirrored object types none of enabled covers.
func missingObjects(enabled []string) []string {
	if slices.Contains(enabled, "*") {
		return nil
	}
	var missing []string
	for _, obj := range paywarden.MirroredTypes {
		covered := slices.ContainsFunc(enabled, func(e string) bool {
			return slices.ContainsFunc(eventPrefixes[obj], func(p string) bool {
				return e == p || strings.HasSuffix(p, ".") && strings.HasPrefix(e, p)
			})
		})
		if !covered {
			missing = append(missing, obj)
		}
	}
	return missing
}

// checkAccount compares the account's mode with the configured one.
func checkAccount(ctx context.Context, o Options) Check {
	acct, err := o.Stripe.Account(ctx)
	if err != nil {
		return fail("account", "give the read key 'Balance: read' and 'Account: read', or check connectivity to Stripe", "%s", firstLine(err))
	}
	mode := map[bool]string{true: "live", false: "test"}[acct.Livemode]
	if acct.Livemode != o.Config.Production() {
		return fail("account", "use keys of the configured mode ("+o.Config.Env+" wants "+map[bool]string{true: "live", false: "test"}[o.Config.Production()]+")",
			"the keys act on account %s in %s mode; paywarden is configured for %s", acct.ID, mode, o.Config.Env)
	}
	if o.Config.Production() && !acct.ChargesEnabled {
		return warn("account", "finish the account's activation in the Stripe Dashboard", "account %s cannot take charges yet", acct.ID)
	}
	return ok("account", "%s in %s mode, as %s expects", acct.ID, mode, o.Config.Env)
}

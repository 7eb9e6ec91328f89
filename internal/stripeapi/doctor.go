package stripeapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// The calls doctor --online makes: all reads, except permission probes,
// which send a deliberately invalid parameter so that Stripe refuses them
// before anything is created.

// WebhookEndpoint is a webhook endpoint of the account, as doctor reviews it.
type WebhookEndpoint struct {
	ID            string   `json:"id"`
	URL           string   `json:"url"`
	Status        string   `json:"status"`      // enabled or disabled
	APIVersion    string   `json:"api_version"` // "" means the account's default version
	EnabledEvents []string `json:"enabled_events"`
}

// ListWebhookEndpoints lists every webhook endpoint of the account with
// the read key.
func (c *Client) ListWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	after := ""
	for {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("starting_after", after)
		}
		var page struct {
			Data    []WebhookEndpoint `json:"data"`
			HasMore bool              `json:"has_more"`
		}
		if err := c.getJSON(ctx, "ListWebhookEndpoints", paywarden.CapabilityRead, "/v1/webhook_endpoints?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		out = append(out, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return out, nil
		}
		after = page.Data[len(page.Data)-1].ID
	}
}

// AccountInfo is what doctor checks of the account behind the keys.
type AccountInfo struct {
	ID             string
	ChargesEnabled bool
	PayoutsEnabled bool
	// Livemode is the mode of the read key's balance: whether the keys act
	// on live money.
	Livemode bool
}

// Account retrieves the account and the mode of its balance with the read
// key.
func (c *Client) Account(ctx context.Context) (AccountInfo, error) {
	var acct struct {
		ID             string `json:"id"`
		ChargesEnabled bool   `json:"charges_enabled"`
		PayoutsEnabled bool   `json:"payouts_enabled"`
	}
	if err := c.getJSON(ctx, "Account", paywarden.CapabilityRead, "/v1/account", &acct); err != nil {
		return AccountInfo{}, err
	}
	var bal struct {
		Livemode bool `json:"livemode"`
	}
	if err := c.getJSON(ctx, "Account", paywarden.CapabilityRead, "/v1/balance", &bal); err != nil {
		return AccountInfo{}, err
	}
	return AccountInfo{ID: acct.ID, ChargesEnabled: acct.ChargesEnabled, PayoutsEnabled: acct.PayoutsEnabled, Livemode: bal.Livemode}, nil
}

// Probe is one permission a capability's key needs, and the request that
// shows whether the key has it.
type Probe struct {
	Capability string // paywarden.Capability*
	Permission string // as Stripe's dashboard names it
	Method     string
	Path       string
}

// Probes are the permissions each capability needs (PRODUCT.md §2).
var Probes = []Probe{
	{paywarden.CapabilityPayments, "PaymentIntents: write", http.MethodPost, "/v1/payment_intents"},
	{paywarden.CapabilityPayments, "Refunds: write", http.MethodPost, "/v1/refunds"},
	{paywarden.CapabilityBilling, "Customers: write", http.MethodPost, "/v1/customers"},
	{paywarden.CapabilityBilling, "Subscriptions: write", http.MethodPost, "/v1/subscriptions"},
	{paywarden.CapabilityRead, "Events: read", http.MethodGet, "/v1/events"},
	{paywarden.CapabilityRead, "Webhook Endpoints: read", http.MethodGet, "/v1/webhook_endpoints"},
	{paywarden.CapabilityRead, "Customers: read", http.MethodGet, "/v1/customers"},
	{paywarden.CapabilityRead, "PaymentIntents: read", http.MethodGet, "/v1/payment_intents"},
}

// probeParam is a parameter no Stripe endpoint accepts: a key with the
// permission gets 400 invalid_request_error for it, a key without gets
// 403 permission_error, and nothing is ever created.
const probeParam = "paywarden_permission_probe"

// ProbePermission reports whether the key of p.Capability has p's
// permission: Stripe answered 400 (it got past the permission check) or
// 403 (it did not). Any other answer is an error.
func (c *Client) ProbePermission(ctx context.Context, p Probe) (bool, error) {
	var status int
	err := c.call(ctx, "Probe", p.Capability, func(ctx context.Context, _ *stripe.Client, key string) error {
		params := &stripe.Params{Context: ctx}
		path := p.Path
		if p.Method == http.MethodGet {
			path += "?" + probeParam + "=1"
		} else {
			params.AddExtra(probeParam, "1")
		}
		var obj rawObject
		err := c.backend.Call(p.Method, path, key, params, &obj)
		if a, ok := ctx.Value(attemptKey{}).(*attempt); ok {
			status = a.status
		}
		return err
	})
	switch {
	case status == http.StatusBadRequest:
		return true, nil
	case status == http.StatusForbidden:
		return false, nil
	case err == nil:
		// Stripe accepted the unknown parameter: the key can call it.
		return true, nil
	}
	return false, err
}

// getJSON makes one GET with the key of capability and decodes the answer.
func (c *Client) getJSON(ctx context.Context, op, capability, path string, v any) error {
	var obj rawObject
	err := c.call(ctx, op, capability, func(ctx context.Context, _ *stripe.Client, key string) error {
		return c.backend.Call(http.MethodGet, path, key, &stripe.Params{Context: ctx}, &obj)
	})
	if err != nil {
		return err
	}
	if obj.LastResponse == nil || json.Unmarshal(obj.LastResponse.RawJSON, v) != nil {
		return paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe sent an answer paywarden could not read.")
	}
	return nil
}

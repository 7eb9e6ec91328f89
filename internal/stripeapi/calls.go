package stripeapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// Every mutating method takes an idempotency key that is sent, unchanged,
// on every attempt; an empty key gets a random one for the call. Every
// method returns a *paywarden.Error: ECARDDECLINED, EINVALID, ENOTFOUND,
// EIDEMPOTENCY, ERATELIMITED, ESTRIPEUNAVAILABLE, ESTRIPEMISCONFIGURED, or
// EINTERNAL.

// CreatePaymentIntent creates a payment intent with the payments key.
func (c *Client) CreatePaymentIntent(ctx context.Context, idemKey string, p paywarden.PaymentParams) (*paywarden.Payment, *paywarden.MirrorObject, error) {
	params := &stripe.PaymentIntentCreateParams{
		Amount:   stripe.Int64(p.Amount),
		Currency: stripe.String(p.Currency),
		Metadata: p.Metadata,
	}
	setString(&params.Customer, p.Customer)
	setString(&params.Description, p.Description)
	setString(&params.CaptureMethod, p.CaptureMethod)
	setString(&params.PaymentMethod, p.PaymentMethod)
	if p.Confirm {
		params.Confirm = stripe.Bool(true)
	}
	params.SetIdempotencyKey(idem(idemKey))
	var pi *stripe.PaymentIntent
	sent := time.Now()
	err := c.call(ctx, "CreatePaymentIntent", paywarden.CapabilityPayments, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		pi, err = sc.V1PaymentIntents.Create(ctx, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toPayment(pi), c.record(ctx, "CreatePaymentIntent", pi.LastResponse, sent), nil
}

// GetPaymentIntent reads a payment intent with the payments key.
func (c *Client) GetPaymentIntent(ctx context.Context, id string) (*paywarden.Payment, error) {
	var pi *stripe.PaymentIntent
	err := c.call(ctx, "GetPaymentIntent", paywarden.CapabilityPayments, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		pi, err = sc.V1PaymentIntents.Retrieve(ctx, id, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return toPayment(pi), nil
}

// CapturePaymentIntent captures an authorized payment; a zero amount
// captures all of it.
func (c *Client) CapturePaymentIntent(ctx context.Context, idemKey, id string, amount int64) (*paywarden.Payment, *paywarden.MirrorObject, error) {
	params := &stripe.PaymentIntentCaptureParams{}
	if amount > 0 {
		params.AmountToCapture = stripe.Int64(amount)
	}
	params.SetIdempotencyKey(idem(idemKey))
	var pi *stripe.PaymentIntent
	sent := time.Now()
	err := c.call(ctx, "CapturePaymentIntent", paywarden.CapabilityPayments, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		pi, err = sc.V1PaymentIntents.Capture(ctx, id, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toPayment(pi), c.record(ctx, "CapturePaymentIntent", pi.LastResponse, sent), nil
}

// CancelPaymentIntent cancels a payment intent.
func (c *Client) CancelPaymentIntent(ctx context.Context, idemKey, id string) (*paywarden.Payment, *paywarden.MirrorObject, error) {
	params := &stripe.PaymentIntentCancelParams{}
	params.SetIdempotencyKey(idem(idemKey))
	var pi *stripe.PaymentIntent
	sent := time.Now()
	err := c.call(ctx, "CancelPaymentIntent", paywarden.CapabilityPayments, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		pi, err = sc.V1PaymentIntents.Cancel(ctx, id, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toPayment(pi), c.record(ctx, "CancelPaymentIntent", pi.LastResponse, sent), nil
}

// CreateRefund refunds a payment intent with the payments key.
func (c *Client) CreateRefund(ctx context.Context, idemKey string, p paywarden.RefundParams) (*paywarden.Refund, *paywarden.MirrorObject, error) {
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(p.PaymentIntent)}
	if p.Amount > 0 {
		params.Amount = stripe.Int64(p.Amount)
	}
	setString(&params.Reason, p.Reason)
	params.SetIdempotencyKey(idem(idemKey))
	var r *stripe.Refund
	sent := time.Now()
	err := c.call(ctx, "CreateRefund", paywarden.CapabilityPayments, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		r, err = sc.V1Refunds.Create(ctx, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toRefund(r), c.record(ctx, "CreateRefund", r.LastResponse, sent), nil
}

// CreateCustomer creates a customer with the billing key.
func (c *Client) CreateCustomer(ctx context.Context, idemKey string, p paywarden.CustomerParams) (*paywarden.Customer, *paywarden.MirrorObject, error) {
	params := &stripe.CustomerCreateParams{Email: stripe.String(p.Email), Metadata: p.Metadata}
	setString(&params.Name, p.Name)
	params.SetIdempotencyKey(idem(idemKey))
	var cu *stripe.Customer
	sent := time.Now()
	err := c.call(ctx, "CreateCustomer", paywarden.CapabilityBilling, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		cu, err = sc.V1Customers.Create(ctx, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toCustomer(cu), c.record(ctx, "CreateCustomer", cu.LastResponse, sent), nil
}

// GetCustomer reads a customer with the billing key.
func (c *Client) GetCustomer(ctx context.Context, id string) (*paywarden.Customer, error) {
	var cu *stripe.Customer
	err := c.call(ctx, "GetCustomer", paywarden.CapabilityBilling, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		cu, err = sc.V1Customers.Retrieve(ctx, id, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return toCustomer(cu), nil
}

// CreateSubscription subscribes a customer to one price with the billing
// key. The subscription starts incomplete until its first invoice is paid;
// the answer carries that invoice's client secret for the front end.
func (c *Client) CreateSubscription(ctx context.Context, idemKey string, p paywarden.SubscriptionParams) (*paywarden.Subscription, *paywarden.MirrorObject, error) {
	item := &stripe.SubscriptionCreateItemParams{Price: stripe.String(p.Price)}
	if p.Quantity > 0 {
		item.Quantity = stripe.Int64(p.Quantity)
	}
	params := &stripe.SubscriptionCreateParams{
		Customer:        stripe.String(p.Customer),
		Items:           []*stripe.SubscriptionCreateItemParams{item},
		PaymentBehavior: stripe.String("default_incomplete"),
		Metadata:        p.Metadata,
		Expand:          append([]*string{stripe.String("latest_invoice.confirmation_secret")}, mirrorExpand(paywarden.ObjectSubscription)...),
	}
	if p.TrialPeriodDays > 0 {
		params.TrialPeriodDays = stripe.Int64(p.TrialPeriodDays)
	}
	params.SetIdempotencyKey(idem(idemKey))
	var s *stripe.Subscription
	sent := time.Now()
	err := c.call(ctx, "CreateSubscription", paywarden.CapabilityBilling, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		s, err = sc.V1Subscriptions.Create(ctx, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toSubscription(s), c.record(ctx, "CreateSubscription", s.LastResponse, sent), nil
}

// GetSubscription reads a subscription with the billing key.
func (c *Client) GetSubscription(ctx context.Context, id string) (*paywarden.Subscription, error) {
	s, err := c.getSubscription(ctx, "GetSubscription", id)
	if err != nil {
		return nil, err
	}
	return toSubscription(s), nil
}

func (c *Client) getSubscription(ctx context.Context, op, id string) (*stripe.Subscription, error) {
	var s *stripe.Subscription
	err := c.call(ctx, op, paywarden.CapabilityBilling, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		s, err = sc.V1Subscriptions.Retrieve(ctx, id, nil)
		return err
	})
	return s, err
}

// ListSubscriptions returns one page of subscriptions, newest first.
func (c *Client) ListSubscriptions(ctx context.Context, p paywarden.SubscriptionListParams) (*paywarden.SubscriptionList, error) {
	params := &stripe.SubscriptionListParams{}
	setString(&params.Customer, p.Customer)
	setString(&params.Status, p.Status)
	setString(&params.StartingAfter, p.StartingAfter)
	if p.Limit > 0 {
		params.Limit = stripe.Int64(int64(p.Limit))
	}
	var data []*stripe.Subscription
	var hasMore bool
	err := c.call(ctx, "ListSubscriptions", paywarden.CapabilityBilling, func(ctx context.Context, sc *stripe.Client, _ string) error {
		// The list fetches its first page when made; only that page is read.
		l := sc.V1Subscriptions.List(ctx, params)
		if err := l.Err(); err != nil {
			return err
		}
		data, hasMore = l.Data(), l.Meta().HasMore
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &paywarden.SubscriptionList{Object: "list", Data: []*paywarden.Subscription{}, HasMore: hasMore}
	for _, s := range data {
		out.Data = append(out.Data, toSubscription(s))
	}
	return out, nil
}

// UpdateSubscription changes the price or quantity of a one-item
// subscription: it reads the subscription to find its item, then updates
// that item, so that the price is replaced rather than added.
func (c *Client) UpdateSubscription(ctx context.Context, idemKey, id string, p paywarden.SubscriptionUpdate) (*paywarden.Subscription, *paywarden.MirrorObject, error) {
	cur, err := c.getSubscription(ctx, "UpdateSubscription", id)
	if err != nil {
		return nil, nil, err
	}
	params := &stripe.SubscriptionUpdateParams{Expand: mirrorExpand(paywarden.ObjectSubscription)}
	setString(&params.ProrationBehavior, p.ProrationBehavior)
	if p.Price != "" || p.Quantity > 0 {
		if cur.Items == nil || len(cur.Items.Data) != 1 {
			return nil, nil, &paywarden.Error{Code: paywarden.EINVALID, Param: "price",
				Message: "The subscription does not have exactly one item; paywarden changes only one-item subscriptions."}
		}
		item := &stripe.SubscriptionUpdateItemParams{ID: stripe.String(cur.Items.Data[0].ID)}
		setString(&item.Price, p.Price)
		if p.Quantity > 0 {
			item.Quantity = stripe.Int64(p.Quantity)
		}
		params.Items = []*stripe.SubscriptionUpdateItemParams{item}
	}
	params.SetIdempotencyKey(idem(idemKey))
	var s *stripe.Subscription
	sent := time.Now()
	err = c.call(ctx, "UpdateSubscription", paywarden.CapabilityBilling, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		s, err = sc.V1Subscriptions.Update(ctx, id, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toSubscription(s), c.record(ctx, "UpdateSubscription", s.LastResponse, sent), nil
}

// CancelSubscription cancels a subscription now or, with atPeriodEnd, at
// the end of the current period.
func (c *Client) CancelSubscription(ctx context.Context, idemKey, id string, atPeriodEnd bool) (*paywarden.Subscription, *paywarden.MirrorObject, error) {
	var s *stripe.Subscription
	idemKey = idem(idemKey)
	sent := time.Now()
	err := c.call(ctx, "CancelSubscription", paywarden.CapabilityBilling, func(ctx context.Context, sc *stripe.Client, _ string) (err error) {
		if atPeriodEnd {
			params := &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true), Expand: mirrorExpand(paywarden.ObjectSubscription)}
			params.SetIdempotencyKey(idemKey)
			s, err = sc.V1Subscriptions.Update(ctx, id, params)
			return err
		}
		params := &stripe.SubscriptionCancelParams{Expand: mirrorExpand(paywarden.ObjectSubscription)}
		params.SetIdempotencyKey(idemKey)
		s, err = sc.V1Subscriptions.Cancel(ctx, id, params)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return toSubscription(s), c.record(ctx, "CancelSubscription", s.LastResponse, sent), nil
}

// Verify proves that key authenticates with Stripe, with one cheap read
// (GET /v1/balance). A restricted key without the balance permission is
// still a working key: Stripe authenticated it before refusing. It returns
// ESTRIPEMISCONFIGURED for a rejected key.
func (c *Client) Verify(ctx context.Context, key paywarden.Secret) error {
	if _, err := paywarden.ParseStripeKey(key.Reveal()); err != nil {
		return err
	}
	sc := c.clientFor(key)
	var status int
	err := c.call(ctx, "Verify", paywarden.CapabilityDefault, func(ctx context.Context, _ *stripe.Client, _ string) error {
		_, err := sc.V1Balance.Retrieve(ctx, nil)
		if a, ok := ctx.Value(attemptKey{}).(*attempt); ok {
			status = a.status
		}
		return err
	})
	if err != nil && status == http.StatusForbidden {
		return nil
	}
	return err
}

// fetchPath returns the API path of an object of a mirrored type (its
// kind's Path and the id), or false for a type paywarden does not mirror.
func fetchPath(objectType string) (string, bool) {
	k, ok := paywarden.MirrorKindOf(objectType)
	if !ok || !slices.Contains(paywarden.MirroredTypes, objectType) {
		return "", false
	}
	return k.Path + "/%s", true
}

// rawObject keeps the JSON of an object the SDK fetched.
type rawObject struct{ stripe.APIResource }

// fetchParams are the parameters of a read of one object. The SDK refuses
// stripe.Params' own (deprecated) Expand, so it is a field here, as in the
// SDK's per-type params.
type fetchParams struct {
	stripe.Params `form:"*"`
	Expand        []*string `form:"expand"`
}

// Fetch reads one object of a mirrored type with the read key and returns
// its JSON as Stripe sent it, at the pinned API version. The path and the
// expansions are those of the type's paywarden.MirrorKind. EINVALID for a
// type paywarden does not mirror.
func (c *Client) Fetch(ctx context.Context, objectType, id string) ([]byte, error) {
	path, ok := fetchPath(objectType)
	if !ok {
		return nil, paywarden.Errorf(paywarden.EINVALID, "paywarden does not fetch objects of type %q", objectType)
	}
	kind, _ := paywarden.MirrorKindOf(objectType)
	if id == "" {
		return nil, paywarden.Errorf(paywarden.EINVALID, "an object id is required")
	}
	var obj rawObject
	err := c.call(ctx, "Fetch", paywarden.CapabilityRead, func(ctx context.Context, _ *stripe.Client, key string) error {
		params := &fetchParams{Params: stripe.Params{Context: ctx}}
		for _, e := range kind.Expand {
			params.Expand = append(params.Expand, stripe.String(e))
		}
		return c.backend.Call(http.MethodGet, stripe.FormatURLPath(path, id), key, params, &obj)
	})
	if err != nil {
		return nil, err
	}
	if obj.LastResponse == nil || !json.Valid(obj.LastResponse.RawJSON) {
		return nil, paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe sent an answer paywarden could not read.")
	}
	return obj.LastResponse.RawJSON, nil
}

func setString(dst **string, v string) {
	if v != "" {
		*dst = stripe.String(v)
	}
}

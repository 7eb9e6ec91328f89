package stripeapi

import (
	"encoding/json"
	"fmt"

	"github.com/stripe/stripe-go/v85"
)

// Payment is a Stripe PaymentIntent as paywarden's API shows it.
type Payment struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"` // "payment"
	Status           string            `json:"status"`
	Amount           int64             `json:"amount"`
	AmountCapturable int64             `json:"amount_capturable"`
	AmountReceived   int64             `json:"amount_received"`
	Currency         string            `json:"currency"`
	Customer         *string           `json:"customer"`
	Description      string            `json:"description,omitempty"`
	Metadata         map[string]string `json:"metadata"`
	CaptureMethod    string            `json:"capture_method"`
	PaymentMethod    *string           `json:"payment_method"`
	LatestCharge     *string           `json:"latest_charge"`
	ClientSecret     string            `json:"client_secret"`
	Created          int64             `json:"created"` // Unix seconds, as Stripe
	Livemode         bool              `json:"livemode"`
}

// Refund is a Stripe Refund.
type Refund struct {
	ID            string  `json:"id"`
	Object        string  `json:"object"` // "refund"
	Status        string  `json:"status"`
	Amount        int64   `json:"amount"`
	Currency      string  `json:"currency"`
	PaymentIntent *string `json:"payment_intent"`
	Reason        string  `json:"reason,omitempty"`
	Created       int64   `json:"created"`
}

// Customer is a Stripe Customer.
type Customer struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"` // "customer"
	Email    string            `json:"email"`
	Name     string            `json:"name,omitempty"`
	Metadata map[string]string `json:"metadata"`
	Deleted  bool              `json:"deleted,omitempty"`
	Created  int64             `json:"created"`
	Livemode bool              `json:"livemode"`
}

// Subscription is a Stripe Subscription with one item, the shape paywarden's
// API creates.
type Subscription struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"` // "subscription"
	Status            string            `json:"status"`
	Customer          *string           `json:"customer"`
	Price             *string           `json:"price"`
	Quantity          int64             `json:"quantity"`
	CurrentPeriodEnd  int64             `json:"current_period_end"`
	CancelAtPeriodEnd bool              `json:"cancel_at_period_end"`
	CanceledAt        int64             `json:"canceled_at,omitempty"`
	TrialEnd          int64             `json:"trial_end,omitempty"`
	LatestInvoice     *string           `json:"latest_invoice"`
	ClientSecret      string            `json:"client_secret,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	Created           int64             `json:"created"`
	Livemode          bool              `json:"livemode"`
}

// SubscriptionList is one page of subscriptions.
type SubscriptionList struct {
	Object  string          `json:"object"` // "list"
	Data    []*Subscription `json:"data"`
	HasMore bool            `json:"has_more"`
}

// PaymentParams creates a payment. Amount is in minor units.
type PaymentParams struct {
	Amount        int64
	Currency      string
	Customer      string
	Description   string
	Metadata      map[string]string
	CaptureMethod string
	PaymentMethod string
	Confirm       bool
}

// RefundParams refunds a payment; a zero Amount refunds what is left.
type RefundParams struct {
	PaymentIntent string
	Amount        int64
	Reason        string
}

// CustomerParams creates a customer.
type CustomerParams struct {
	Email    string
	Name     string
	Metadata map[string]string
}

// SubscriptionParams creates a subscription to one price.
type SubscriptionParams struct {
	Customer        string
	Price           string
	Quantity        int64 // zero means 1
	TrialPeriodDays int64
	Metadata        map[string]string
}

// SubscriptionUpdate changes a subscription's price or quantity. Zero
// fields are left unchanged.
type SubscriptionUpdate struct {
	Price             string
	Quantity          int64
	ProrationBehavior string
}

// SubscriptionListParams selects subscriptions.
type SubscriptionListParams struct {
	Customer      string
	Status        string
	Limit         int
	StartingAfter string
}

func idOf[T any](v *T, id func(*T) string) *string {
	if v == nil {
		return nil
	}
	s := id(v)
	if s == "" {
		return nil
	}
	return &s
}

func metadata(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func toPayment(pi *stripe.PaymentIntent) *Payment {
	return &Payment{
		ID:               pi.ID,
		Object:           "payment",
		Status:           string(pi.Status),
		Amount:           pi.Amount,
		AmountCapturable: pi.AmountCapturable,
		AmountReceived:   pi.AmountReceived,
		Currency:         string(pi.Currency),
		Customer:         idOf(pi.Customer, func(c *stripe.Customer) string { return c.ID }),
		Description:      pi.Description,
		Metadata:         metadata(pi.Metadata),
		CaptureMethod:    string(pi.CaptureMethod),
		PaymentMethod:    idOf(pi.PaymentMethod, func(p *stripe.PaymentMethod) string { return p.ID }),
		LatestCharge:     idOf(pi.LatestCharge, func(c *stripe.Charge) string { return c.ID }),
		ClientSecret:     pi.ClientSecret,
		Created:          pi.Created,
		Livemode:         pi.Livemode,
	}
}

func toRefund(r *stripe.Refund) *Refund {
	return &Refund{
		ID:            r.ID,
		Object:        "refund",
		Status:        string(r.Status),
		Amount:        r.Amount,
		Currency:      string(r.Currency),
		PaymentIntent: idOf(r.PaymentIntent, func(p *stripe.PaymentIntent) string { return p.ID }),
		Reason:        string(r.Reason),
		Created:       r.Created,
	}
}

func toCustomer(c *stripe.Customer) *Customer {
	return &Customer{
		ID:       c.ID,
		Object:   "customer",
		Email:    c.Email,
		Name:     c.Name,
		Metadata: metadata(c.Metadata),
		Deleted:  c.Deleted,
		Created:  c.Created,
		Livemode: c.Livemode,
	}
}

func toSubscription(s *stripe.Subscription) *Subscription {
	out := &Subscription{
		ID:                s.ID,
		Object:            "subscription",
		Status:            string(s.Status),
		Customer:          idOf(s.Customer, func(c *stripe.Customer) string { return c.ID }),
		CancelAtPeriodEnd: s.CancelAtPeriodEnd,
		CanceledAt:        s.CanceledAt,
		TrialEnd:          s.TrialEnd,
		LatestInvoice:     idOf(s.LatestInvoice, func(i *stripe.Invoice) string { return i.ID }),
		Metadata:          metadata(s.Metadata),
		Created:           s.Created,
		Livemode:          s.Livemode,
	}
	if s.Items != nil && len(s.Items.Data) > 0 {
		it := s.Items.Data[0]
		out.Price = idOf(it.Price, func(p *stripe.Price) string { return p.ID })
		out.Quantity = it.Quantity
		// Since API version 2025-03-31 the period lives on the items.
		out.CurrentPeriodEnd = it.CurrentPeriodEnd
	}
	if inv := s.LatestInvoice; inv != nil && inv.ConfirmationSecret != nil {
		out.ClientSecret = inv.ConfirmationSecret.ClientSecret
	}
	return out
}

// DecodePayment reads a payment intent's JSON, as stored in the mirror.
func DecodePayment(data []byte) (*Payment, error) {
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(data, &pi); err != nil {
		return nil, fmt.Errorf("decode payment intent: %w", err)
	}
	return toPayment(&pi), nil
}

// DecodeSubscription reads a subscription's JSON, as stored in the mirror.
func DecodeSubscription(data []byte) (*Subscription, error) {
	var s stripe.Subscription
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode subscription: %w", err)
	}
	return toSubscription(&s), nil
}

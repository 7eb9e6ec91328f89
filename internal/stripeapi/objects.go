package stripeapi

import (
	"encoding/json"
	"fmt"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
)

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

func toPayment(pi *stripe.PaymentIntent) *paywarden.Payment {
	return &paywarden.Payment{
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

func toRefund(r *stripe.Refund) *paywarden.Refund {
	return &paywarden.Refund{
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

func toCustomer(c *stripe.Customer) *paywarden.Customer {
	return &paywarden.Customer{
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

func toSubscription(s *stripe.Subscription) *paywarden.Subscription {
	out := &paywarden.Subscription{
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
func DecodePayment(data []byte) (*paywarden.Payment, error) {
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(data, &pi); err != nil {
		return nil, fmt.Errorf("decode payment intent: %w", err)
	}
	return toPayment(&pi), nil
}

// DecodeSubscription reads a subscription's JSON, as stored in the mirror.
func DecodeSubscription(data []byte) (*paywarden.Subscription, error) {
	var s stripe.Subscription
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode subscription: %w", err)
	}
	return toSubscription(&s), nil
}

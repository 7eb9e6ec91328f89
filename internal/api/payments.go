package api

import (
	"net/http"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// Payment intent statuses, for the list filter.
var paymentStatuses = []string{
	"requires_payment_method", "requires_confirmation", "requires_action", "processing",
	"requires_capture", "canceled", "succeeded",
}

type createPaymentRequest struct {
	Amount        *int64            `json:"amount"`
	Currency      string            `json:"currency"`
	Customer      string            `json:"customer"`
	Description   string            `json:"description"`
	Metadata      map[string]string `json:"metadata"`
	CaptureMethod string            `json:"capture_method"`
	PaymentMethod string            `json:"payment_method"`
	Confirm       bool              `json:"confirm"`
}

func (a *API) createPayment(w http.ResponseWriter, r *http.Request) error {
	var req createPaymentRequest
	if err := a.decode(w, r, &req, false); err != nil {
		return err
	}
	if req.Amount == nil {
		return invalid("amount", "amount is required.")
	}
	cur, err := validCurrency("currency", req.Currency)
	if err != nil {
		return err
	}
	if err := firstError(
		validAmount("amount", *req.Amount, cur),
		validID("customer", req.Customer, "cus_", true),
		validText("description", req.Description, MaxDescriptionLen),
		validMetadata(req.Metadata),
		validEnum("capture_method", req.CaptureMethod, "automatic", "automatic_async", "manual"),
		validID("payment_method", req.PaymentMethod, "pm_", true),
	); err != nil {
		return err
	}
	if req.Confirm && req.PaymentMethod == "" {
		return invalid("payment_method", "payment_method is required when confirm is true.")
	}
	p, rec, err := a.stripe.CreatePaymentIntent(r.Context(), stripeKey(w), paywarden.PaymentParams{
		Amount: *req.Amount, Currency: cur, Customer: req.Customer, Description: req.Description,
		Metadata: req.Metadata, CaptureMethod: req.CaptureMethod, PaymentMethod: req.PaymentMethod, Confirm: req.Confirm,
	})
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusCreated, p)
}

func (a *API) getPayment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := validID("id", id, "pi_", false); err != nil {
		return err
	}
	p, err := a.stripe.GetPaymentIntent(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// list is a page of objects.
type list[T any] struct {
	Object  string `json:"object"` // "list"
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
}

// listPayments lists payment intents from the local mirror, newest first,
// without calling Stripe.
func (a *API) listPayments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := query(q, "customer", "status", "limit", "starting_after"); err != nil {
		return err
	}
	n, err := limit(q, 10)
	if err != nil {
		return err
	}
	if err := firstError(
		validID("customer", q.Get("customer"), "cus_", true),
		validEnum("status", q.Get("status"), paymentStatuses...),
		validID("starting_after", q.Get("starting_after"), "pi_", true),
	); err != nil {
		return err
	}
	objs, err := a.store.ListObjects(r.Context(), paywarden.MirrorFilter{
		Type: paywarden.ObjectPaymentIntent, Customer: q.Get("customer"), Status: q.Get("status"),
		StartingAfter: q.Get("starting_after"), Limit: n + 1,
	})
	if err != nil {
		return err
	}
	out := list[*paywarden.Payment]{Object: "list", Data: []*paywarden.Payment{}, HasMore: len(objs) > n}
	for _, o := range objs[:min(n, len(objs))] {
		p, err := stripeapi.DecodePayment(o.Data)
		if err != nil {
			return err
		}
		out.Data = append(out.Data, p)
	}
	return writeJSON(w, http.StatusOK, out)
}

type captureRequest struct {
	Amount *int64 `json:"amount"`
}

func (a *API) capturePayment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req captureRequest
	if err := firstError(validID("id", id, "pi_", false), a.decode(w, r, &req, true)); err != nil {
		return err
	}
	var amount int64
	if req.Amount != nil {
		if err := validAmount("amount", *req.Amount, ""); err != nil {
			return err
		}
		amount = *req.Amount
	}
	p, rec, err := a.stripe.CapturePaymentIntent(r.Context(), stripeKey(w), id, amount)
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusOK, p)
}

func (a *API) cancelPayment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req struct{}
	if err := firstError(validID("id", id, "pi_", false), a.decode(w, r, &req, true)); err != nil {
		return err
	}
	p, rec, err := a.stripe.CancelPaymentIntent(r.Context(), stripeKey(w), id)
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusOK, p)
}

type refundRequest struct {
	Amount *int64 `json:"amount"`
	Reason string `json:"reason"`
}

func (a *API) createRefund(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req refundRequest
	if err := firstError(validID("id", id, "pi_", false), a.decode(w, r, &req, true)); err != nil {
		return err
	}
	var amount int64
	if req.Amount != nil {
		if err := validAmount("amount", *req.Amount, ""); err != nil {
			return err
		}
		amount = *req.Amount
	}
	if err := validEnum("reason", req.Reason, "duplicate", "fraudulent", "requested_by_customer"); err != nil {
		return err
	}
	ref, rec, err := a.stripe.CreateRefund(r.Context(), stripeKey(w), paywarden.RefundParams{
		PaymentIntent: id, Amount: amount, Reason: req.Reason,
	})
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusCreated, ref)
}

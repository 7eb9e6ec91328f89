package api

import (
	"net/http"

	"github.com/paywarden/paywarden"
)

// Subscription statuses, for the list filter ("all" includes canceled).
var subscriptionStatuses = []string{
	"incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused", "all",
}

var prorationBehaviors = []string{"create_prorations", "none", "always_invoice"}

type createSubscriptionRequest struct {
	Customer        string            `json:"customer"`
	Price           string            `json:"price"`
	Quantity        *int64            `json:"quantity"`
	TrialPeriodDays *int64            `json:"trial_period_days"`
	Metadata        map[string]string `json:"metadata"`
}

func validQuantity(q *int64) error {
	if q != nil && (*q < 1 || *q > MaxQuantity) {
		return invalid("quantity", "quantity must be an integer from 1 to %d.", MaxQuantity)
	}
	return nil
}

func value(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (a *API) createSubscription(w http.ResponseWriter, r *http.Request) error {
	var req createSubscriptionRequest
	if err := a.decode(w, r, &req, false); err != nil {
		return err
	}
	if err := firstError(
		validID("customer", req.Customer, "cus_", false),
		validID("price", req.Price, "price_", false),
		validQuantity(req.Quantity),
		validMetadata(req.Metadata),
	); err != nil {
		return err
	}
	if d := req.TrialPeriodDays; d != nil && (*d < 1 || *d > MaxTrialPeriodDays) {
		return invalid("trial_period_days", "trial_period_days must be an integer from 1 to %d.", MaxTrialPeriodDays)
	}
	s, rec, err := a.stripe.CreateSubscription(r.Context(), stripeKey(w), paywarden.SubscriptionParams{
		Customer: req.Customer, Price: req.Price, Quantity: value(req.Quantity),
		TrialPeriodDays: value(req.TrialPeriodDays), Metadata: req.Metadata,
	})
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusCreated, s)
}

func (a *API) getSubscription(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := validID("id", id, "sub_", false); err != nil {
		return err
	}
	s, err := a.stripe.GetSubscription(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// listSubscriptions lists subscriptions from Stripe, newest first.
func (a *API) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
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
		validEnum("status", q.Get("status"), subscriptionStatuses...),
		validID("starting_after", q.Get("starting_after"), "sub_", true),
	); err != nil {
		return err
	}
	l, err := a.stripe.ListSubscriptions(r.Context(), paywarden.SubscriptionListParams{
		Customer: q.Get("customer"), Status: q.Get("status"), Limit: n, StartingAfter: q.Get("starting_after"),
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

type updateSubscriptionRequest struct {
	Price             string `json:"price"`
	Quantity          *int64 `json:"quantity"`
	ProrationBehavior string `json:"proration_behavior"`
}

func (a *API) updateSubscription(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req updateSubscriptionRequest
	if err := firstError(validID("id", id, "sub_", false), a.decode(w, r, &req, false)); err != nil {
		return err
	}
	if err := firstError(
		validID("price", req.Price, "price_", true),
		validQuantity(req.Quantity),
		validEnum("proration_behavior", req.ProrationBehavior, prorationBehaviors...),
	); err != nil {
		return err
	}
	if req.Price == "" && req.Quantity == nil {
		return invalid("price", "price or quantity is required.")
	}
	s, rec, err := a.stripe.UpdateSubscription(r.Context(), stripeKey(w), id, paywarden.SubscriptionUpdate{
		Price: req.Price, Quantity: value(req.Quantity), ProrationBehavior: req.ProrationBehavior,
	})
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusOK, s)
}

type cancelSubscriptionRequest struct {
	AtPeriodEnd *bool `json:"at_period_end"`
}

// cancelSubscription cancels now, or at the period's end when the body or
// the query says at_period_end=true.
func (a *API) cancelSubscription(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req cancelSubscriptionRequest
	if err := firstError(validID("id", id, "sub_", false), a.decode(w, r, &req, true)); err != nil {
		return err
	}
	q := r.URL.Query()
	if err := query(q, "at_period_end"); err != nil {
		return err
	}
	atEnd := req.AtPeriodEnd != nil && *req.AtPeriodEnd
	switch v := q.Get("at_period_end"); v {
	case "":
	case "true", "false":
		if req.AtPeriodEnd != nil && *req.AtPeriodEnd != (v == "true") {
			return invalid("at_period_end", "at_period_end differs between the query and the body.")
		}
		atEnd = v == "true"
	default:
		return invalid("at_period_end", "at_period_end must be true or false.")
	}
	s, rec, err := a.stripe.CancelSubscription(r.Context(), stripeKey(w), id, atEnd)
	if err != nil {
		return err
	}
	a.writeThrough(r.Context(), rec)
	return writeJSON(w, http.StatusOK, s)
}

package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/paywarden/paywarden"
)

// routes registers the whole internal API (PRODUCT.md §5).
func (a *API) routes(mux *http.ServeMux) {
	// Payments: payment intents, created and acted on through Stripe, listed
	// from the local mirror.
	a.handle(mux, "POST /v1/payments", paywarden.ScopePaymentsWrite, a.createPayment)
	a.handle(mux, "GET /v1/payments", paywarden.ScopePaymentsRead, a.listPayments)
	a.handle(mux, "GET /v1/payments/{id}", paywarden.ScopePaymentsRead, a.getPayment)
	a.handle(mux, "POST /v1/payments/{id}/capture", paywarden.ScopePaymentsWrite, a.capturePayment)
	a.handle(mux, "POST /v1/payments/{id}/cancel", paywarden.ScopePaymentsWrite, a.cancelPayment)
	a.handle(mux, "POST /v1/payments/{id}/refunds", paywarden.ScopePaymentsWrite, a.createRefund)

	// Customers, under the subscriptions scopes.
	a.handle(mux, "POST /v1/customers", paywarden.ScopeSubscriptionsWrite, a.createCustomer)
	a.handle(mux, "GET /v1/customers/{id}", paywarden.ScopeSubscriptionsRead, a.getCustomer)

	// Subscriptions.
	a.handle(mux, "POST /v1/subscriptions", paywarden.ScopeSubscriptionsWrite, a.createSubscription)
	a.handle(mux, "GET /v1/subscriptions", paywarden.ScopeSubscriptionsRead, a.listSubscriptions)
	a.handle(mux, "GET /v1/subscriptions/{id}", paywarden.ScopeSubscriptionsRead, a.getSubscription)
	a.handle(mux, "POST /v1/subscriptions/{id}", paywarden.ScopeSubscriptionsWrite, a.updateSubscription)
	a.handle(mux, "DELETE /v1/subscriptions/{id}", paywarden.ScopeSubscriptionsWrite, a.cancelSubscription)

	// Reports, computed from the mirror without calling Stripe.
	a.handle(mux, "GET /v1/reports/revenue", paywarden.ScopeReportsRead, a.revenueReport)
	a.handle(mux, "GET /v1/reports/subscriptions", paywarden.ScopeReportsRead, a.subscriptionsReport)
	a.handle(mux, "GET /v1/reports/payouts", paywarden.ScopeReportsRead, a.payoutsReport)

	// Webhook events as paywarden stored them.
	a.handle(mux, "GET /v1/events", paywarden.ScopeEventsRead, a.listEvents)
	a.handle(mux, "GET /v1/events/{id}", paywarden.ScopeEventsRead, a.getEvent)
	a.handle(mux, "POST /v1/events/{id}/replay", paywarden.ScopeEventsWrite, a.replayEvent)

	// Anything else under /v1/ is a problem document, not the mux's text.
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, paywarden.Errorf(paywarden.ENOTFOUND, "No such route."))
	})
}

// handlerFunc is an API handler: it writes a success answer itself and
// returns any error, which becomes a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle mounts h at pattern behind authentication for scope and, for POST
// and DELETE, the idempotency layer.
func (a *API) handle(mux *http.ServeMux, pattern, scope string, h handlerFunc) {
	method, _, _ := strings.Cut(pattern, " ")
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
	if method == http.MethodPost || method == http.MethodDelete {
		next = a.idempotent(next)
	}
	next = a.authorize(scope, next)
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoOf(w).route = r.Pattern
		ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	}))
}

package pay

import (
	"net/http"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/paymentintent"
)

func Pay(w http.ResponseWriter, r *http.Request) {
	stripe.SetBackend(stripe.APIBackend, stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		MaxNetworkRetries: stripe.Int64(0), // want "error-retries-disabled"
	}))
	pi, _ := paymentintent.Get(r.URL.Query().Get("id"), nil) // want "error-swallowed"
	_ = pi
	_, err := paymentintent.Confirm("pi_123", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway) // want "error-leaked"
		return
	}
}

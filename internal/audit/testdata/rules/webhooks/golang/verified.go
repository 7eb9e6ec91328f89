package hooks2

import (
	"io"
	"log"
	"net/http"
	"os"

	"github.com/stripe/stripe-go/v85/webhook"
)

func Handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	event, _ := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), os.Getenv("STRIPE_WEBHOOK_SECRET")) // want "webhook-error-ignored"
	_ = event
	event2, err := webhook.ConstructEventIgnoringTolerance(body, r.Header.Get("Stripe-Signature"), os.Getenv("STRIPE_WEBHOOK_SECRET")) // want "webhook-tolerance-disabled"
	if err != nil {                                                                                                                    // want "webhook-error-ignored"
		log.Printf("verify: %v", err)
		w.WriteHeader(http.StatusOK)
	}
	_ = event2
}

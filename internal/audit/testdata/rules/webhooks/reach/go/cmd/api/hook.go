package main

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/stripe/stripe-go/v85"

	"example.com/shop/internal/stripeutil"
)

func hook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if _, err := stripeutil.Verify(body, r.Header.Get("Stripe-Signature")); err != nil {
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var event stripe.Event
	if err := json.Unmarshal(body, &event); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if event.Type == "invoice.paid" {
		w.WriteHeader(http.StatusOK)
	}
}

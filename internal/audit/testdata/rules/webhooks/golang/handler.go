package hooks

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/stripe/stripe-go/v85"
)

func Handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var event stripe.Event
	if err := json.Unmarshal(body, &event); err != nil { // want "webhook-unverified"
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	switch event.Type {
	case "invoice.paid":
	}
	w.WriteHeader(http.StatusOK)
}

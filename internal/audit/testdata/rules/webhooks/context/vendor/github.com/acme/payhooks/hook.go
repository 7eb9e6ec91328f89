package payhooks

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/stripe/stripe-go/v85"
)

// Handle is vendored code: not scanned unless --include-vendored.
func Handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var event stripe.Event
	if err := json.Unmarshal(body, &event); err != nil {
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	if event.Type == "invoice.paid" {
		w.WriteHeader(http.StatusOK)
	}
}

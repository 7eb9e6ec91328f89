package paywarden

// Payments and refunds as paywarden's API shows and takes them. Their JSON
// is Stripe's shape (field names, Unix seconds), so a Stripe client reads it.

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

// RefundParams refunds a payment; a zero Amount refunds what is left.
type RefundParams struct {
	PaymentIntent string
	Amount        int64
	Reason        string
}

package paywarden

// Customers as paywarden's API shows and takes them.

// Customer is a Stripe Customer.
type Customer struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"` // "customer"
	Email    string            `json:"email"`
	Name     string            `json:"name,omitempty"`
	Metadata map[string]string `json:"metadata"`
	Deleted  bool              `json:"deleted,omitempty"`
	Created  int64             `json:"created"`
	Livemode bool              `json:"livemode"`
}

// CustomerParams creates a customer.
type CustomerParams struct {
	Email    string
	Name     string
	Metadata map[string]string
}

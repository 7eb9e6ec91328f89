package paywarden

// Subscriptions as paywarden's API shows and takes them.

// Subscription is a Stripe Subscription with one item, the shape paywarden's
// API creates.
type Subscription struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"` // "subscription"
	Status            string            `json:"status"`
	Customer          *string           `json:"customer"`
	Price             *string           `json:"price"`
	Quantity          int64             `json:"quantity"`
	CurrentPeriodEnd  int64             `json:"current_period_end"`
	CancelAtPeriodEnd bool              `json:"cancel_at_period_end"`
	CanceledAt        int64             `json:"canceled_at,omitempty"`
	TrialEnd          int64             `json:"trial_end,omitempty"`
	LatestInvoice     *string           `json:"latest_invoice"`
	ClientSecret      string            `json:"client_secret,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	Created           int64             `json:"created"`
	Livemode          bool              `json:"livemode"`
}

// SubscriptionList is one page of subscriptions.
type SubscriptionList struct {
	Object  string          `json:"object"` // "list"
	Data    []*Subscription `json:"data"`
	HasMore bool            `json:"has_more"`
}

// SubscriptionParams creates a subscription to one price.
type SubscriptionParams struct {
	Customer        string
	Price           string
	Quantity        int64 // zero means 1
	TrialPeriodDays int64
	Metadata        map[string]string
}

// SubscriptionUpdate changes a subscription's price or quantity. Zero
// fields are left unchanged.
type SubscriptionUpdate struct {
	Price             string
	Quantity          int64
	ProrationBehavior string
}

// SubscriptionListParams selects subscriptions.
type SubscriptionListParams struct {
	Customer      string
	Status        string
	Limit         int
	StartingAfter string
}

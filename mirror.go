package paywarden

import (
	"context"
	"time"
)

// Stripe object types that paywarden mirrors (the `object` field).
const (
	ObjectCustomer      = "customer"
	ObjectPaymentIntent = "payment_intent"
	ObjectCharge        = "charge"
	ObjectRefund        = "refund"
	ObjectDispute       = "dispute"
	ObjectSubscription  = "subscription"
	ObjectInvoice       = "invoice"
	ObjectPrice         = "price"
	ObjectProduct       = "product"
	// Balance transactions are Stripe's ledger: revenue reports read them
	// when they are mirrored.
	ObjectBalanceTransaction = "balance_transaction"
	ObjectPayout             = "payout"
)

// MirroredTypes lists the object types kept in the mirror.
var MirroredTypes = []string{
	ObjectCustomer, ObjectPaymentIntent, ObjectCharge, ObjectRefund, ObjectDispute,
	ObjectSubscription, ObjectInvoice, ObjectPrice, ObjectProduct,
	ObjectBalanceTransaction, ObjectPayout,
}

// MoneyMoving reports whether objects of type t move money. The workers
// always re-read such an object from Stripe (once per object per batch)
// rather than trust an event's snapshot; see eventproc's refetch.
func MoneyMoving(t string) bool {
	k, ok := mirrorKinds[t]
	return ok && k.MoneyMoving
}

// MirrorObject is the local copy of one Stripe object, with the fields
// reports need pulled out of its JSON.
type MirrorObject struct {
	Type     string // ObjectCustomer, ...
	ID       string
	Livemode bool
	Customer string // the customer it belongs to, if any
	Status   string
	Currency string // lower-case ISO 4217
	// Amount in minor units: a payment intent's or charge's amount, a
	// refund's amount, an invoice's amount paid, a price's unit amount, a
	// subscription's monthly recurring revenue.
	Amount  int64
	Created time.Time // the object's own created time
	Data    []byte    // the object as JSON

	// Version is when this state was true: the Created time of the event
	// that carried it, or of the event that caused it to be fetched.
	// The ordering guard: a write replaces the stored object only if its
	// Version is later, or equal and Fetched. An older event never
	// overwrites newer state.
	Version time.Time
	Fetched bool   // read from Stripe's API rather than an event payload
	EventID string // the event that carried or caused it
}

// Validate checks that the object can be stored. EINVALID.
func (o *MirrorObject) Validate() error {
	if o == nil || o.Type == "" || o.ID == "" {
		return Errorf(EINVALID, "a mirror object needs a type and an id")
	}
	if err := checkText("a mirror object", "id", o.ID, MaxIDLen); err != nil {
		return err
	}
	if err := checkText("a mirror object", "object", o.Type, MaxTypeLen); err != nil {
		return err
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"customer", o.Customer, MaxIDLen},
		{"status", o.Status, MaxTypeLen},
		{"currency", o.Currency, MaxTypeLen},
		{"event", o.EventID, MaxIDLen},
	} {
		if err := checkText(o.Type+" "+o.ID, f.name, f.value, f.max); err != nil {
			return err
		}
	}
	return nil
}

// ValidateObjects validates each object, so that a batch is written whole
// or not at all. EINVALID.
func ValidateObjects(objs []*MirrorObject) error {
	for _, o := range objs {
		if err := o.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// MirrorFilter selects objects of one type for ListObjects.
type MirrorFilter struct {
	Type          string // required
	Customer      string
	Status        string
	Currency      string
	CreatedFrom   time.Time // inclusive
	CreatedTo     time.Time // exclusive
	StartingAfter string    // an object id: objects created before it
	Limit         int       // default 100; negative means no limit
}

// Validate returns EINVALID without a Type.
func (f *MirrorFilter) Validate() error {
	if f.Type == "" {
		return Errorf(EINVALID, "listing objects needs a type")
	}
	return nil
}

// WithDefaults returns f with a zero Limit replaced by DefaultListLimit; a
// negative Limit, no limit, is kept.
func (f MirrorFilter) WithDefaults() MirrorFilter {
	if f.Limit == 0 {
		f.Limit = DefaultListLimit
	}
	return f
}

// MirrorStore is the local copy of Stripe objects.
type MirrorStore interface {
	// Object returns one object. ENOTFOUND if there is none.
	Object(ctx context.Context, typ, id string) (*MirrorObject, error)
	// ListObjects returns objects of one type, newest Created first.
	// EINVALID if f.Type is empty or f.StartingAfter names no object of
	// that type.
	ListObjects(ctx context.Context, f MirrorFilter) ([]*MirrorObject, error)
	// UpsertObjects writes objects under the ordering guard, in one
	// transaction, and reports for each whether it was written.
	UpsertObjects(ctx context.Context, objs []*MirrorObject) (written []bool, err error)
}

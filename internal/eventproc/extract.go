package eventproc

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// stripeObject holds the fields of any mirrored Stripe object that the
// mirror pulls out of its JSON. Fields a type lacks stay zero.
type stripeObject struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	Livemode       bool            `json:"livemode"`
	Created        int64           `json:"created"`
	Customer       json.RawMessage `json:"customer"` // an id, an expanded object or null
	Status         string          `json:"status"`
	Currency       string          `json:"currency"`
	Amount         int64           `json:"amount"`
	AmountReceived int64           `json:"amount_received"`
	AmountPaid     int64           `json:"amount_paid"`
	UnitAmount     *int64          `json:"unit_amount"`
	Active         *bool           `json:"active"`
	Deleted        bool            `json:"deleted"`
	Items          *struct {
		Data []struct {
			Quantity int64 `json:"quantity"`
			Price    *struct {
				UnitAmount *int64 `json:"unit_amount"`
				Currency   string `json:"currency"`
				Recurring  *struct {
					Interval      string `json:"interval"`
					IntervalCount int64  `json:"interval_count"`
				} `json:"recurring"`
			} `json:"price"`
		} `json:"data"`
	} `json:"items"`
}

// extract builds the mirror record of a Stripe object from its JSON.
func extract(raw []byte) (*paywarden.MirrorObject, error) {
	var o stripeObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("decoding object: %w", err)
	}
	if o.ID == "" || o.Object == "" {
		return nil, fmt.Errorf("object has no id or type")
	}
	m := &paywarden.MirrorObject{
		Type:     o.Object,
		ID:       o.ID,
		Livemode: o.Livemode,
		Customer: customerID(o.Customer),
		Status:   o.Status,
		Currency: strings.ToLower(o.Currency),
		Data:     raw,
	}
	if o.Created > 0 {
		m.Created = time.Unix(o.Created, 0).UTC()
	}
	switch o.Object {
	case paywarden.ObjectPaymentIntent:
		m.Amount = o.Amount
		if o.AmountReceived > 0 {
			m.Amount = o.AmountReceived
		}
	case paywarden.ObjectCharge, paywarden.ObjectRefund, paywarden.ObjectDispute:
		m.Amount = o.Amount
	case paywarden.ObjectInvoice:
		m.Amount = o.AmountPaid
	case paywarden.ObjectPrice:
		if o.UnitAmount != nil {
			m.Amount = *o.UnitAmount
		}
		m.Status = activeStatus(o.Active)
	case paywarden.ObjectProduct:
		m.Status = activeStatus(o.Active)
	case paywarden.ObjectSubscription:
		m.Amount, m.Currency = monthlyRevenue(&o)
	}
	if o.Deleted {
		m.Status = "deleted"
	}
	return m, nil
}

func customerID(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &obj)
	return obj.ID
}

func activeStatus(active *bool) string {
	switch {
	case active == nil:
		return ""
	case *active:
		return "active"
	}
	return "inactive"
}

// monthlyRevenue returns a subscription's recurring revenue per month in
// minor units, and its currency: each item's unit amount times quantity,
// scaled from its billing interval to a month.
func monthlyRevenue(o *stripeObject) (int64, string) {
	if o.Items == nil {
		return 0, strings.ToLower(o.Currency)
	}
	var total float64
	currency := strings.ToLower(o.Currency)
	for _, it := range o.Items.Data {
		p := it.Price
		if p == nil || p.UnitAmount == nil || p.Recurring == nil {
			continue
		}
		if currency == "" {
			currency = strings.ToLower(p.Currency)
		}
		n := max(p.Recurring.IntervalCount, 1)
		q := max(it.Quantity, 1)
		perMonth := map[string]float64{"day": 30.0 / float64(n), "week": 52.0 / 12 / float64(n),
			"month": 1 / float64(n), "year": 1 / 12.0 / float64(n)}[p.Recurring.Interval]
		total += float64(*p.UnitAmount*q) * perMonth
	}
	return int64(total + 0.5), currency
}

// eventData is the part of an event's payload the workers decode.
type eventData struct {
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// objectOf returns the raw JSON of an event's data.object.
func objectOf(payload []byte) (json.RawMessage, error) {
	var d eventData
	if err := json.Unmarshal(payload, &d); err != nil {
		return nil, fmt.Errorf("decoding event: %w", err)
	}
	if len(d.Data.Object) == 0 {
		return nil, fmt.Errorf("event has no data.object")
	}
	return d.Data.Object, nil
}

package paywarden

import "testing"

func TestSubscriberMatching(t *testing.T) {
	s := Subscriber{Types: []string{"invoice.*", "customer.updated"}}
	for typ, want := range map[string]bool{"invoice.paid": true, "invoice.payment_failed": true,
		"customer.updated": true, "customer.created": false, "charge.succeeded": false} {
		if got := s.Wants(typ); got != want {
			t.Errorf("Wants(%q): got %t, want %t", typ, got, want)
		}
	}
}

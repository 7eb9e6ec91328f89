package stripeapi

import (
	"encoding/json"
	"testing"
)

func TestCollapseLatestInvoice(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"id":"sub_1","object":"subscription","latest_invoice":{"id":"in_1","confirmation_secret":{"client_secret":"x"}}}`,
			`{"id":"sub_1","latest_invoice":"in_1","object":"subscription"}`},
		{`{"id":"sub_1","object":"subscription","latest_invoice":"in_1"}`, `{"id":"sub_1","object":"subscription","latest_invoice":"in_1"}`},
		{`{"id":"sub_1","object":"subscription","latest_invoice":null}`, `{"id":"sub_1","object":"subscription","latest_invoice":null}`},
		{`{"id":"pi_1","object":"payment_intent","latest_invoice":{"id":"in_1"}}`, `{"id":"pi_1","object":"payment_intent","latest_invoice":{"id":"in_1"}}`},
		{`not json`, `not json`},
	}
	for _, tt := range tests {
		got := collapseLatestInvoice([]byte(tt.in))
		if string(got) != tt.want {
			t.Errorf("collapseLatestInvoice(%s):\ngot  %s\nwant %s", tt.in, got, tt.want)
		}
		if json.Valid([]byte(tt.in)) && !json.Valid(got) {
			t.Errorf("collapseLatestInvoice(%s): invalid JSON out", tt.in)
		}
	}
}

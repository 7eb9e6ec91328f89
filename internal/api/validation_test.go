package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paywarden/paywarden"
)

// TestValidation checks every rule: each request is refused with 400 and
// the parameter at fault, before Stripe is called.
func TestValidation(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopeAdmin)

	meta := func(n int, key, value string) string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		if key != "" {
			m[key] = value
		}
		var parts []string
		for k, v := range m {
			parts = append(parts, fmt.Sprintf("%q:%q", k, v))
		}
		return `{"amount":2000,"currency":"usd","metadata":{` + strings.Join(parts, ",") + `}}`
	}
	tests := []struct {
		name, method, path, body, param string
	}{
		// Body shape.
		{"empty body", "POST", "/v1/payments", "", ""},
		{"not JSON", "POST", "/v1/payments", `{"amount":`, ""},
		{"array", "POST", "/v1/payments", `[1]`, ""},
		{"two objects", "POST", "/v1/payments", payBody + payBody, ""},
		// Members that parsers read differently (issue 13, finding 3).
		{"amount twice", "POST", "/v1/payments", `{"amount":1000,"amount":99999999,"currency":"usd"}`, ""},
		{"amount in two cases", "POST", "/v1/payments", `{"amount":1000,"AMOUNT":5000,"currency":"usd"}`, ""},
		{"escaped case variant", "POST", "/v1/payments", `{"amount":1000,"currency":"usd","CURRENC\u0059":"eur"}`, ""},
		{"metadata key twice", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","metadata":{"k":"a","k":"b"}}`, ""},
		{"unknown field", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","application_fee_amount":1}`, "application_fee_amount"},
		{"string amount", "POST", "/v1/payments", `{"amount":"2000","currency":"usd"}`, "amount"},
		{"fractional amount", "POST", "/v1/payments", `{"amount":20.5,"currency":"usd"}`, "amount"},
		// Amounts.
		{"no amount", "POST", "/v1/payments", `{"currency":"usd"}`, "amount"},
		{"zero amount", "POST", "/v1/payments", `{"amount":0,"currency":"usd"}`, "amount"},
		{"negative amount", "POST", "/v1/payments", `{"amount":-100,"currency":"usd"}`, "amount"},
		{"amount over Stripe's max", "POST", "/v1/payments", `{"amount":100000000,"currency":"usd"}`, "amount"},
		{"amount under usd minimum", "POST", "/v1/payments", `{"amount":49,"currency":"usd"}`, "amount"},
		{"amount under gbp minimum", "POST", "/v1/payments", `{"amount":29,"currency":"gbp"}`, "amount"},
		{"amount under jpy minimum (zero-decimal)", "POST", "/v1/payments", `{"amount":49,"currency":"jpy"}`, "amount"},
		{"three-decimal amount not a multiple of 10", "POST", "/v1/payments", `{"amount":1005,"currency":"kwd"}`, "amount"},
		{"amount under default minimum", "POST", "/v1/payments", `{"amount":10,"currency":"kes"}`, "amount"},
		// Currencies.
		{"no currency", "POST", "/v1/payments", `{"amount":2000}`, "currency"},
		{"unknown currency", "POST", "/v1/payments", `{"amount":2000,"currency":"usx"}`, "currency"},
		{"currency with space", "POST", "/v1/payments", `{"amount":2000,"currency":"usd "}`, "currency"},
		{"metal code", "POST", "/v1/payments", `{"amount":2000,"currency":"xau"}`, "currency"},
		// Metadata.
		{"51 metadata keys", "POST", "/v1/payments", meta(51, "", ""), "metadata"},
		{"41-character metadata key", "POST", "/v1/payments", meta(0, strings.Repeat("k", 41), "v"), "metadata"},
		{"empty metadata key", "POST", "/v1/payments", meta(0, "", "v")[:0] + `{"amount":2000,"currency":"usd","metadata":{"":"v"}}`, "metadata"},
		{"metadata key with brackets", "POST", "/v1/payments", meta(0, "a[b]", "v"), "metadata"},
		{"501-character metadata value", "POST", "/v1/payments", meta(0, "k", strings.Repeat("v", 501)), "metadata"},
		{"metadata value not a string", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","metadata":{"k":1}}`, "metadata"},
		// Ids and enums.
		{"customer id", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","customer":"cu_1"}`, "customer"},
		{"customer id with a slash", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","customer":"cus_1/x"}`, "customer"},
		{"payment method id", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","payment_method":"card_1"}`, "payment_method"},
		{"confirm without payment method", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","confirm":true}`, "payment_method"},
		{"capture method", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","capture_method":"later"}`, "capture_method"},
		{"long description", "POST", "/v1/payments", `{"amount":2000,"currency":"usd","description":"` + strings.Repeat("d", 1001) + `"}`, "description"},
		{"payment id in path", "GET", "/v1/payments/ch_1", "", "id"},
		{"capture id", "POST", "/v1/payments/sub_1/capture", "", "id"},
		{"capture amount", "POST", "/v1/payments/pi_1/capture", `{"amount":0}`, "amount"},
		{"cancel unknown field", "POST", "/v1/payments/pi_1/cancel", `{"reason":"x"}`, "reason"},
		{"refund amount", "POST", "/v1/payments/pi_1/refunds", `{"amount":-1}`, "amount"},
		{"refund reason", "POST", "/v1/payments/pi_1/refunds", `{"reason":"because"}`, "reason"},
		{"list limit", "GET", "/v1/payments?limit=101", "", "limit"},
		{"list limit not a number", "GET", "/v1/payments?limit=ten", "", "limit"},
		{"list status", "GET", "/v1/payments?status=paid", "", "status"},
		{"list unknown parameter", "GET", "/v1/payments?email=a", "", "email"},
		{"list customer", "GET", "/v1/payments?customer=x", "", "customer"},
		{"list starting_after", "GET", "/v1/payments?starting_after=sub_1", "", "starting_after"},
		// Customers.
		{"customer without email", "POST", "/v1/customers", `{"name":"A"}`, "email"},
		{"customer bad email", "POST", "/v1/customers", `{"email":"not an email"}`, "email"},
		{"customer email with name", "POST", "/v1/customers", `{"email":"A <a@example.com>"}`, "email"},
		{"customer long name", "POST", "/v1/customers", `{"email":"a@example.com","name":"` + strings.Repeat("n", 257) + `"}`, "name"},
		{"customer metadata", "POST", "/v1/customers", `{"email":"a@example.com","metadata":{"` + strings.Repeat("k", 41) + `":"v"}}`, "metadata"},
		{"customer id", "GET", "/v1/customers/pi_1", "", "id"},
		// Subscriptions.
		{"subscription without customer", "POST", "/v1/subscriptions", `{"price":"price_1"}`, "customer"},
		{"subscription without price", "POST", "/v1/subscriptions", `{"customer":"cus_1"}`, "price"},
		{"subscription price id", "POST", "/v1/subscriptions", `{"customer":"cus_1","price":"plan_1"}`, "price"},
		{"subscription quantity", "POST", "/v1/subscriptions", `{"customer":"cus_1","price":"price_1","quantity":0}`, "quantity"},
		{"subscription trial", "POST", "/v1/subscriptions", `{"customer":"cus_1","price":"price_1","trial_period_days":731}`, "trial_period_days"},
		{"subscription id", "GET", "/v1/subscriptions/si_1", "", "id"},
		{"subscription list status", "GET", "/v1/subscriptions?status=gone", "", "status"},
		{"update with nothing", "POST", "/v1/subscriptions/sub_1", `{}`, "price"},
		{"update proration", "POST", "/v1/subscriptions/sub_1", `{"price":"price_2","proration_behavior":"sometimes"}`, "proration_behavior"},
		{"update quantity", "POST", "/v1/subscriptions/sub_1", `{"quantity":-1}`, "quantity"},
		{"cancel at_period_end", "DELETE", "/v1/subscriptions/sub_1?at_period_end=yes", "", "at_period_end"},
		{"cancel at_period_end disagreement", "DELETE", "/v1/subscriptions/sub_1?at_period_end=false", `{"at_period_end":true}`, "at_period_end"},
		// Events.
		{"event id", "GET", "/v1/events/ev_1", "", "id"},
		{"event status", "GET", "/v1/events?status=done", "", "status"},
		{"event type", "GET", "/v1/events?type=Customer%20Created", "", "type"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idem := ""
			if tt.method != "GET" {
				idem = fmt.Sprintf("v-%d", i)
			}
			p := checkProblem(t, h.do(tt.method, tt.path, tok, idem, tt.body), 400, paywarden.EINVALID)
			if got, _ := p["param"].(string); got != tt.param {
				t.Errorf("got param %q, want %q: %v", got, tt.param, p["detail"])
			}
		})
	}
	if n := len(f.seen()); n != 0 {
		t.Errorf("Stripe was called %d times, want 0", n)
	}
}

// Valid edge cases pass validation.
func TestValidationAccepts(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopePaymentsWrite)
	for i, body := range []string{
		`{"amount":50,"currency":"USD"}`,
		`{"amount":99999999,"currency":"usd"}`,
		`{"amount":30,"currency":"gbp"}`,
		`{"amount":50,"currency":"jpy"}`,
		`{"amount":1000,"currency":"kwd"}`,
		`{"amount":2000,"currency":"usd","metadata":{"` + strings.Repeat("k", 40) + `":"` + strings.Repeat("é", 500) + `"}}`,
	} {
		if r := h.do("POST", "/v1/payments", tok, fmt.Sprintf("ok-%d", i), body); r.status != 201 {
			t.Errorf("%s: got %d: %s", body, r.status, r.body)
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	f := newFaultServer(t, okPayment)
	h := newHarness(t, f.URL, "")
	tok := h.token(paywarden.ScopePaymentsWrite)
	body := `{"amount":2000,"currency":"usd","description":"` + strings.Repeat("x", 70<<10) + `"}`
	checkProblem(t, h.do("POST", "/v1/payments", tok, "big", body), 413, paywarden.ETOOLARGE)
	if n := len(f.seen()); n != 0 {
		t.Errorf("Stripe was called %d times, want 0", n)
	}
}

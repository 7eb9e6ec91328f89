package paywarden

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every mirrored type has a kind with a path, and every kind is mirrored:
// the list and the table cannot drift apart.
func TestMirrorKindsCoverMirroredTypes(t *testing.T) {
	for _, typ := range MirroredTypes {
		k, ok := MirrorKindOf(typ)
		if !ok {
			t.Errorf("mirrored type %q has no kind", typ)
			continue
		}
		if k.Type != typ || !strings.HasPrefix(k.Path, "/v1/") || strings.Contains(k.Path, "%") {
			t.Errorf("kind of %q: got type %q path %q, want the type and a /v1/ resource", typ, k.Type, k.Path)
		}
	}
	for typ := range mirrorKinds {
		if !slices.Contains(MirroredTypes, typ) {
			t.Errorf("kind %q is not in MirroredTypes", typ)
		}
	}
	if _, ok := MirrorKindOf("account"); ok {
		t.Error("MirrorKindOf(account): got a kind, want none")
	}
	for typ, want := range map[string]bool{ObjectCharge: true, ObjectPayout: true, ObjectBalanceTransaction: true,
		ObjectCustomer: false, ObjectSubscription: false, "account": false} {
		if got := MoneyMoving(typ); got != want {
			t.Errorf("MoneyMoving(%q): got %t, want %t", typ, got, want)
		}
	}
}

func TestParseMirrorObject(t *testing.T) {
	created := time.Unix(1700000000, 0).UTC()
	tests := []struct {
		name string
		json string
		want MirrorObject // Data and Created are checked apart
	}{
		{"customer", `{"id":"cus_1","object":"customer","created":1700000000,"livemode":true,"currency":"EUR"}`,
			MirrorObject{Type: "customer", ID: "cus_1", Livemode: true, Currency: "eur"}},
		{"deleted customer", `{"id":"cus_1","object":"customer","deleted":true}`,
			MirrorObject{Type: "customer", ID: "cus_1", Status: "deleted"}},
		{"payment intent received", `{"id":"pi_1","object":"payment_intent","created":1700000000,"amount":2000,"amount_received":1500,
			"currency":"usd","status":"succeeded","customer":"cus_1"}`,
			MirrorObject{Type: "payment_intent", ID: "pi_1", Customer: "cus_1", Status: "succeeded", Currency: "usd", Amount: 1500}},
		{"payment intent asked", `{"id":"pi_2","object":"payment_intent","created":1700000000,"amount":2000,"amount_received":0,
			"currency":"usd","status":"requires_payment_method","customer":{"id":"cus_2","object":"customer"}}`,
			MirrorObject{Type: "payment_intent", ID: "pi_2", Customer: "cus_2", Status: "requires_payment_method", Currency: "usd", Amount: 2000}},
		{"charge", `{"id":"ch_1","object":"charge","created":1700000000,"amount":999,"currency":"JPY","status":"failed","customer":null}`,
			MirrorObject{Type: "charge", ID: "ch_1", Status: "failed", Currency: "jpy", Amount: 999}},
		{"refund", `{"id":"re_1","object":"refund","created":1700000000,"amount":300,"currency":"usd","status":"succeeded"}`,
			MirrorObject{Type: "refund", ID: "re_1", Status: "succeeded", Currency: "usd", Amount: 300}},
		{"dispute", `{"id":"dp_1","object":"dispute","created":1700000000,"amount":700,"currency":"gbp","status":"lost"}`,
			MirrorObject{Type: "dispute", ID: "dp_1", Status: "lost", Currency: "gbp", Amount: 700}},
		{"invoice", `{"id":"in_1","object":"invoice","created":1700000000,"amount_due":5000,"amount_paid":4000,"currency":"usd","status":"paid","customer":"cus_1"}`,
			MirrorObject{Type: "invoice", ID: "in_1", Customer: "cus_1", Status: "paid", Currency: "usd", Amount: 4000}},
		{"price", `{"id":"price_1","object":"price","created":1700000000,"unit_amount":1200,"currency":"usd","active":false}`,
			MirrorObject{Type: "price", ID: "price_1", Status: "inactive", Currency: "usd", Amount: 1200}},
		{"product", `{"id":"prod_1","object":"product","created":1700000000,"active":true}`,
			MirrorObject{Type: "product", ID: "prod_1", Status: "active"}},
		{"balance transaction", `{"id":"txn_1","object":"balance_transaction","created":1700000000,"amount":10000,"fee":320,"net":9680,
			"currency":"usd","status":"available","type":"charge"}`,
			MirrorObject{Type: "balance_transaction", ID: "txn_1", Status: "available", Currency: "usd", Amount: 10000}},
		{"payout", `{"id":"po_1","object":"payout","created":1700000000,"amount":50000,"arrival_date":1700100000,"currency":"usd","status":"in_transit"}`,
			MirrorObject{Type: "payout", ID: "po_1", Status: "in_transit", Currency: "usd", Amount: 50000}},
		// 1200 × 2 / month + 12000 / year ÷ 12 = 2400 + 1000 = 3400; the
		// metered item is not counted.
		{"subscription", `{"id":"sub_1","object":"subscription","created":1700000000,"customer":"cus_1","status":"active","currency":"usd",
			"trial_end":null,"cancel_at":1800000000,"canceled_at":null,"items":{"data":[
			{"quantity":2,"price":{"unit_amount":1200,"currency":"usd","recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}},
			{"quantity":1,"price":{"unit_amount":12000,"currency":"usd","recurring":{"interval":"year","interval_count":1}}},
			{"price":{"unit_amount":5,"currency":"usd","recurring":{"interval":"month","interval_count":1,"usage_type":"metered"}}}]}}`,
			MirrorObject{Type: "subscription", ID: "sub_1", Customer: "cus_1", Status: "active", Currency: "usd", Amount: 3400}},
		// 1000 every 2 weeks: 1000 × 52 ÷ 12 ÷ 2 = 2166.67 × 3 = 6500; less
		// 10% = 5850; less 100 per invoice, 100 × 52/24 = 216.67: 5633.33.
		// The discount given only by id is not applied.
		{"subscription with discounts", `{"id":"sub_2","object":"subscription","created":1700000000,"customer":"cus_1","status":"past_due",
			"items":{"data":[{"quantity":3,"price":{"unit_amount":1000,"currency":"EUR","recurring":{"interval":"week","interval_count":2}}}]},
			"discounts":[{"id":"di_1","source":{"coupon":{"id":"c1","percent_off":10}}},
			{"id":"di_2","coupon":{"id":"c2","amount_off":100,"currency":"eur"}},"di_3"]}`,
			MirrorObject{Type: "subscription", ID: "sub_2", Customer: "cus_1", Status: "past_due", Currency: "eur", Amount: 5633}},
		// A daily plan of 100: 100 × 365 ÷ 12 = 3041.67.
		{"subscription legacy plan", `{"id":"sub_3","object":"subscription","created":1700000000,"status":"trialing",
			"items":{"data":[{"quantity":1,"plan":{"amount":100,"currency":"usd","interval":"day","interval_count":1}}]}}`,
			MirrorObject{Type: "subscription", ID: "sub_3", Status: "trialing", Currency: "usd", Amount: 3042}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMirrorObject([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Data) != tt.json {
				t.Errorf("Data: got %s, want the JSON whole", got.Data)
			}
			wantCreated := time.Time{}
			if strings.Contains(tt.json, `"created":1700000000`) {
				wantCreated = created
			}
			if !got.Created.Equal(wantCreated) {
				t.Errorf("Created: got %v, want %v", got.Created, wantCreated)
			}
			got.Data, got.Created = nil, time.Time{}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestParseMirrorObjectRefuses(t *testing.T) {
	for _, s := range []string{`not json`, `{"object":"charge"}`, `{"id":"ch_1"}`, `{"id":"acct_1","object":"account"}`, `[]`} {
		if _, err := ParseMirrorObject([]byte(s)); ErrorCode(err) != EINVALID {
			t.Errorf("ParseMirrorObject(%s): got %v, want %s", s, err, EINVALID)
		}
	}
}

package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		doc string
		dup string // the name reported, "" when the document is accepted
	}{
		{`{"amount":1000,"currency":"usd"}`, ""},
		{`{"amount":1000,"amount":99999999}`, "amount"},
		{`{"amount":1000,"AMOUNT":5000}`, "AMOUNT"},
		{`{"id":"evt_1","data":{"object":{"id":"pi_1","ID":"pi_2"}}}`, "ID"},
		{`{"id":"evt_1","I\u0044":"evt_2"}`, "ID"},
		{`{"a":[{"x":1},{"x":2}]}`, ""}, // the same name in sibling objects is fine
		{`{"a":{"x":1},"b":{"x":1}}`, ""},
		{`{"s":"{\"x\":1,\"x\":2}"}`, ""}, // inside a string it is data
		{`{"k":1,"\u212a":2}`, "\u212a"},  // KELVIN SIGN folds to k, as encoding/json matches it
		{`{"ſ":1,"S":2}`, "S"},            // LATIN SMALL LETTER LONG S folds to s
		{`[{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"Q":19}]`, "Q"},
		{`"plain"`, ""},
		{` 12 `, ""},
	} {
		err := Check([]byte(tc.doc))
		switch {
		case tc.dup == "" && err != nil:
			t.Errorf("Check(%s) = %v, want nil", tc.doc, err)
		case tc.dup != "" && !errors.Is(err, ErrDuplicate):
			t.Errorf("Check(%s) = %v, want ErrDuplicate", tc.doc, err)
		case tc.dup != "" && !strings.Contains(err.Error(), `"`+tc.dup+`"`):
			t.Errorf("Check(%s) = %v, want it to name %q", tc.doc, err, tc.dup)
		}
	}
}

// reference is Check written with encoding/json's tokenizer: slower, but
// obviously right. The fuzzer holds Check to it.
func reference(data []byte) (dup bool, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		names  []string
		key    bool // the next string token is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false, true
		}
		if err != nil {
			return false, false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: v == '{', key: v == '{'})
				continue
			default:
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			if top != nil && top.object && top.key {
				for _, n := range top.names {
					if strings.EqualFold(n, v) {
						return true, true
					}
				}
				top.names = append(top.names, v)
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":1,"A":2}`, `{"a":{"b":[1,{"c":2,"c":3}]}}`, `[]`, `{}`, `{"\u0041":1,"a":2}`,
		`{"k":1,"\u212a":2}`, `{"x":"\"y\"","y":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		wantDup, ok := reference(data)
		if !ok {
			return
		}
		err := Check(data)
		if gotDup := errors.Is(err, ErrDuplicate); gotDup != wantDup || (err != nil && !gotDup) {
			t.Fatalf("Check(%q) = %v, reference says duplicate=%v", data, err, wantDup)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	doc := []byte(`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2026-03-25.dahlia","created":1686089970,"data":{"object":{"id":"pi_3NG8Dt2eZvKYlo2C1GXbY6Yb","object":"payment_intent","amount":2000,"amount_capturable":0,"amount_received":2000,"currency":"usd","customer":null,"metadata":{"order":"6735"},"payment_method_types":["card"],"status":"succeeded"}},"livemode":false,"pending_webhooks":1,"request":{"id":"req_1","idempotency_key":"k"},"type":"payment_intent.succeeded"}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := Check(doc); err != nil {
			b.Fatal(err)
		}
	}
}

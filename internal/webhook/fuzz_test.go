package webhook

import (
	"bytes"
	"testing"
	"time"
)

func FuzzParseHeader(f *testing.F) {
	body := []byte(`{"id":"evt_1"}`)
	f.Add(Sign(body, secretA, t0))
	f.Add(Sign(body, secretA, t0) + ",v0=00")
	f.Add("t=1,v1=" + "ab")
	f.Add("t=,v1=")
	f.Add(",,,")
	f.Add("t=1=2,v1=zz")
	f.Fuzz(func(t *testing.T, h string) {
		hd, err := ParseHeader(h)
		if err != nil {
			return
		}
		if len(hd.V1) == 0 || len(hd.V1) > maxSignatures {
			t.Fatalf("accepted %q with %d v1 signatures", h, len(hd.V1))
		}
		for _, sig := range hd.V1 {
			if len(sig) != 32 {
				t.Fatalf("accepted %q with a %d-byte signature", h, len(sig))
			}
		}
		// An accepted header never verifies without a secret.
		if err := Verify(body, hd, nil, time.Unix(hd.Timestamp, 0), time.Hour); err == nil {
			t.Fatalf("%q verified with no secret", h)
		}
	})
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(eventJSON("evt_1", "customer.updated", t0, false, "2026-03-25.dahlia"))
	f.Add([]byte(`{"id":"evt_1","object":"event","type":"x","created":1,"livemode":false,"data":{"object":{"object":"balance"}}}`))
	f.Add([]byte(`{"id":"evt_1","object":"event","api_version":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"data":{"object":{"id":"cus_\u0000"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := DecodeEnvelope(body)
		if err != nil {
			return
		}
		if !validID(env.ID, "evt_") || env.Type == "" || env.Created.Unix() <= 0 || env.ObjectType == "" {
			t.Fatalf("accepted an invalid envelope %+v from %q", env, body)
		}
		ev := env.Event("default", body, t0, "v")
		if !bytes.Equal(ev.Payload, body) {
			t.Fatal("payload differs from body")
		}
	})
}

package webhook

import (
	"bytes"
	"testing"
)

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

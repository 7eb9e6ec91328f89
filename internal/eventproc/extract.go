package eventproc

import (
	"encoding/json"
	"fmt"

	"github.com/paywarden/paywarden"
)

// extract builds the mirror record of a Stripe object from its JSON. The
// fields pulled out are the domain's (paywarden.ParseMirrorObject, driven
// by the kinds of paywarden.MirroredTypes), so that an object a webhook
// brought, one the API wrote through and one sync listed read the same.
func extract(raw []byte) (*paywarden.MirrorObject, error) {
	return paywarden.ParseMirrorObject(raw)
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

package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/jsonstrict"
)

// ErrBadEnvelope is wrapped by DecodeEnvelope's errors: the body is not a
// Stripe event.
var ErrBadEnvelope = errors.New("body is not a Stripe event")

// Envelope holds the fields of a Stripe event that the receiver needs. The
// object itself is decoded later, by the workers, off the hot path.
type Envelope struct {
	ID         string
	Type       string
	Created    time.Time
	Livemode   bool
	APIVersion string
	ObjectID   string
	ObjectType string
}

type rawEnvelope struct {
	ID         string  `json:"id"`
	Object     string  `json:"object"`
	Type       string  `json:"type"`
	Created    int64   `json:"created"`
	Livemode   *bool   `json:"livemode"`
	APIVersion *string `json:"api_version"`
	Data       *struct {
		Object *struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		} `json:"object"`
	} `json:"data"`
}

// DecodeEnvelope decodes and checks a Stripe event's envelope.
func DecodeEnvelope(body []byte) (Envelope, error) {
	var r rawEnvelope
	if err := json.Unmarshal(body, &r); err != nil {
		return Envelope{}, fmt.Errorf("%w: invalid JSON", ErrBadEnvelope)
	}
	// encoding/json kept the last of two "id" members, or matched "ID" to
	// id; a subscriber's parser may read the first. Refuse the ambiguity.
	if err := jsonstrict.Check(body); err != nil {
		return Envelope{}, fmt.Errorf("%w: duplicate member name", ErrBadEnvelope)
	}
	switch {
	case r.Object != "event":
		return Envelope{}, fmt.Errorf("%w: object is not \"event\"", ErrBadEnvelope)
	case !validID(r.ID, "evt_"):
		return Envelope{}, fmt.Errorf("%w: bad id", ErrBadEnvelope)
	case r.Type == "" || len(r.Type) > 100:
		return Envelope{}, fmt.Errorf("%w: bad type", ErrBadEnvelope)
	case r.Created <= 0:
		return Envelope{}, fmt.Errorf("%w: bad created", ErrBadEnvelope)
	case r.Livemode == nil:
		return Envelope{}, fmt.Errorf("%w: no livemode", ErrBadEnvelope)
	case r.Data == nil || r.Data.Object == nil || r.Data.Object.Object == "":
		return Envelope{}, fmt.Errorf("%w: no data.object", ErrBadEnvelope)
	case r.Data.Object.ID != "" && !validID(r.Data.Object.ID, ""):
		return Envelope{}, fmt.Errorf("%w: bad data.object.id", ErrBadEnvelope)
	}
	e := Envelope{
		ID:         r.ID,
		Type:       r.Type,
		Created:    time.Unix(r.Created, 0).UTC(),
		Livemode:   *r.Livemode,
		ObjectID:   r.Data.Object.ID,
		ObjectType: r.Data.Object.Object,
	}
	if r.APIVersion != nil {
		e.APIVersion = *r.APIVersion
	}
	return e, nil
}

// Event returns the event to store for this envelope and body.
func (e Envelope) Event(endpoint string, body []byte, now time.Time, pinned string) *paywarden.Event {
	status := paywarden.EventPending
	if e.APIVersion != pinned {
		status = paywarden.EventQuarantined
	}
	return &paywarden.Event{
		ID:            e.ID,
		Type:          e.Type,
		Created:       e.Created,
		Livemode:      e.Livemode,
		APIVersion:    e.APIVersion,
		ObjectID:      e.ObjectID,
		ObjectType:    e.ObjectType,
		Endpoint:      endpoint,
		Payload:       body,
		Status:        status,
		ReceivedAt:    now,
		NextAttemptAt: now,
	}
}

// validID reports whether id is a plausible Stripe id with the given prefix:
// letters, digits and underscores, at most 255 bytes.
func validID(id, prefix string) bool {
	if len(id) <= len(prefix) || len(id) > 255 || id[:len(prefix)] != prefix {
		return false
	}
	return !strings.ContainsFunc(id, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_')
	})
}

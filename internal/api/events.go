package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// eventView is a stored webhook event as the API shows it.
type eventView struct {
	ID            string          `json:"id"`
	Object        string          `json:"object"` // "event"
	Type          string          `json:"type"`
	Created       int64           `json:"created"` // Unix seconds, as Stripe
	Livemode      bool            `json:"livemode"`
	APIVersion    string          `json:"api_version"`
	ObjectID      string          `json:"object_id"`
	ObjectType    string          `json:"object_type"`
	Endpoint      string          `json:"endpoint"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	LastError     string          `json:"last_error,omitempty"`
	ReceivedAt    *time.Time      `json:"received_at,omitempty"`
	NextAttemptAt *time.Time      `json:"next_attempt_at,omitempty"`
	ProcessedAt   *time.Time      `json:"processed_at,omitempty"`
	Payload       json.RawMessage `json:"payload,omitempty"` // only for one event
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func viewEvent(e *paywarden.Event, withPayload bool) *eventView {
	v := &eventView{
		ID: e.ID, Object: "event", Type: e.Type, Created: e.Created.Unix(), Livemode: e.Livemode,
		APIVersion: e.APIVersion, ObjectID: e.ObjectID, ObjectType: e.ObjectType, Endpoint: e.Endpoint,
		Status: string(e.Status), Attempts: e.Attempts, LastError: e.LastError,
		ReceivedAt: timePtr(e.ReceivedAt), NextAttemptAt: timePtr(e.NextAttemptAt), ProcessedAt: timePtr(e.ProcessedAt),
	}
	if withPayload && json.Valid(e.Payload) {
		v.Payload = e.Payload
	}
	return v
}

func validEventType(t string) error {
	if t == "" {
		return nil
	}
	if len(t) > 100 || strings.Trim(t, "abcdefghijklmnopqrstuvwxyz0123456789_.") != "" {
		return invalid("type", "type must be a Stripe event type such as customer.updated.")
	}
	return nil
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := query(q, "status", "type", "limit", "starting_after"); err != nil {
		return err
	}
	n, err := limit(q, 20)
	if err != nil {
		return err
	}
	status := paywarden.EventStatus(q.Get("status"))
	if status != "" && !status.Valid() {
		return invalid("status", "status must be one of pending, processed, failed, dead, quarantined.")
	}
	if err := firstError(
		validEventType(q.Get("type")),
		validID("starting_after", q.Get("starting_after"), "evt_", true),
	); err != nil {
		return err
	}
	events, err := a.store.ListEvents(r.Context(), paywarden.EventFilter{
		Status: status, Type: q.Get("type"), StartingAfter: q.Get("starting_after"), Limit: n + 1,
	})
	if err != nil {
		return err
	}
	out := list[*eventView]{Object: "list", Data: []*eventView{}, HasMore: len(events) > n}
	for _, e := range events[:min(n, len(events))] {
		out.Data = append(out.Data, viewEvent(e, false))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := validID("id", id, "evt_", false); err != nil {
		return err
	}
	e, err := a.store.Event(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewEvent(e, true))
}

// replayEvent sets an event back to pending, whatever its status, so that
// the workers process it again. A quarantined event's payload (another API
// version's shape) is never mirrored: the workers re-read its object from
// Stripe at the pinned version (eventproc's repinnedState).
func (a *API) replayEvent(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req struct{}
	if err := firstError(validID("id", id, "evt_", false), a.decode(w, r, &req, true)); err != nil {
		return err
	}
	acting(w)
	if err := a.store.ReplayEvent(r.Context(), id); err != nil {
		return err
	}
	e, err := a.store.Event(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewEvent(e, false))
}

package paywarden

import (
	"context"
	"time"
)

// EventStatus is the processing state of a stored webhook event.
type EventStatus string

// Event statuses (PRODUCT.md §4).
const (
	EventPending     EventStatus = "pending"     // stored, not yet processed
	EventProcessed   EventStatus = "processed"   // its effects are applied
	EventFailed      EventStatus = "failed"      // failed, will be retried after NextAttemptAt
	EventDead        EventStatus = "dead"        // failed too often; only a replay runs it again
	EventQuarantined EventStatus = "quarantined" // another API version; replay after an upgrade
)

// Valid reports whether s is one of the statuses above.
func (s EventStatus) Valid() bool {
	switch s {
	case EventPending, EventProcessed, EventFailed, EventDead, EventQuarantined:
		return true
	}
	return false
}

// Validate returns EINVALID unless s is one of the statuses above.
func (s EventStatus) Validate() error {
	if !s.Valid() {
		return Errorf(EINVALID, "unknown event status %q", s)
	}
	return nil
}

// Event is a Stripe webhook event as paywarden stores it: the envelope
// fields, decoded on receipt, and the raw payload, decoded fully later.
type Event struct {
	ID         string    // evt_...
	Type       string    // e.g. customer.updated
	Created    time.Time // Stripe's created, whole seconds
	Livemode   bool
	APIVersion string
	ObjectID   string // data.object.id
	ObjectType string // data.object.object
	Endpoint   string // the receiving endpoint's name; "default" for /webhooks/stripe
	Payload    []byte // the body exactly as received

	Status        EventStatus
	Attempts      int
	LastError     string // a short, secret-free reason for the last failure
	ReceivedAt    time.Time
	NextAttemptAt time.Time // when a pending or failed event may next be claimed
	ProcessedAt   time.Time // zero until processed
}

// Validate checks what a store would otherwise reject, so that the error
// says which event and why, and so that every store refuses the same
// events: the envelope's strings must be printable text of bounded length
// (a NUL that SQLite would keep, PostgreSQL refuses). EINVALID.
func (e *Event) Validate() error {
	if e == nil || e.ID == "" {
		return Errorf(EINVALID, "an event needs an id")
	}
	if err := checkText("an event", "id", e.ID, MaxIDLen); err != nil {
		return err
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"type", e.Type, MaxTypeLen},
		{"api_version", e.APIVersion, MaxTypeLen},
		{"data.object.id", e.ObjectID, MaxIDLen},
		{"data.object.object", e.ObjectType, MaxTypeLen},
		{"endpoint", e.Endpoint, MaxIDLen},
	} {
		if err := checkText("event "+e.ID, f.name, f.value, f.max); err != nil {
			return err
		}
	}
	if e.Status != "" && !e.Status.Valid() {
		return Errorf(EINVALID, "event %s: unknown status %q", e.ID, e.Status)
	}
	return nil
}

// ValidateEvents validates each event, so that a batch is stored whole or
// not at all. EINVALID.
func ValidateEvents(events []*Event) error {
	for _, e := range events {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// WithDefaults returns a copy of e as a store writes it: an empty Status
// is pending, a zero ReceivedAt is now and a zero NextAttemptAt is
// ReceivedAt.
func (e *Event) WithDefaults(now time.Time) Event {
	d := *e
	if d.Status == "" {
		d.Status = EventPending
	}
	d.ReceivedAt = orNow(d.ReceivedAt, now)
	d.NextAttemptAt = orNow(d.NextAttemptAt, d.ReceivedAt)
	return d
}

// orNow returns t, or now when t is zero.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// DefaultListLimit is how many items a list returns when its filter sets
// no limit.
const DefaultListLimit = 100

// EventFilter selects events for ListEvents. Zero fields match everything.
type EventFilter struct {
	Status EventStatus
	Type   string
	// StartingAfter is an event id: list events received before it
	// (events are listed newest first).
	StartingAfter string
	Limit         int // default 100
}

// ValidateClaim checks the arguments of ClaimEvents. EINVALID if owner is
// empty or lease is not positive.
func ValidateClaim(owner string, lease time.Duration) error {
	if owner == "" || lease <= 0 {
		return Errorf(EINVALID, "a claim needs an owner and a positive lease")
	}
	return nil
}

// EventStore stores webhook events and their processing state.
//
// Only InsertEvents must be synced before it returns: it is what a webhook
// is acknowledged on. The workers' writes (claims, completions, failures,
// releases) may commit without an fsync, since losing one after a machine
// crash only leaves the stored event to be processed again.
type EventStore interface {
	// InsertEvents durably stores a batch of new events in one transaction
	// and reports for each whether it was created; an id already stored is
	// a duplicate and is left unchanged (created false, no error). The
	// batch is committed and synced before InsertEvents returns. Events
	// are stored with their defaults (Event.WithDefaults). EINVALID, and
	// nothing stored, if any event is not valid.
	InsertEvents(ctx context.Context, events []*Event) (created []bool, err error)

	// Event returns one event. ENOTFOUND if there is none.
	Event(ctx context.Context, id string) (*Event, error)

	// ListEvents returns events newest received first. EINVALID if
	// f.StartingAfter names no event or f.Status is unknown.
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, error)

	// ClaimEvents leases up to limit events that are pending, or failed and
	// due, to owner for the lease duration, oldest Created first, and
	// returns them. An event whose lease has expired may be claimed again.
	// Concurrent callers (several processes) never get the same event
	// while a lease holds. Each claim counts as an attempt: the returned
	// events' Attempts include this one, so an event whose worker crashes
	// every time still reaches dead. EINVALID if owner is empty or lease
	// is not positive.
	ClaimEvents(ctx context.Context, owner string, limit int, lease time.Duration) ([]*Event, error)

	// CompleteEvent applies the mirror changes and marks the event processed,
	// in one transaction, if owner still holds its lease. Each object is
	// written under the ordering guard (see MirrorObject). EUNAVAILABLE if
	// the lease was lost, ENOTFOUND if there is no such event; in both
	// cases nothing is written.
	CompleteEvent(ctx context.Context, id, owner string, objects []*MirrorObject) error

	// CompleteEvents completes many events in one transaction, as
	// CompleteEvent completes one: each completion whose event owner still
	// leases has its objects written under the ordering guard and its event
	// marked processed. A completion whose lease was lost (EUNAVAILABLE) or
	// whose event does not exist (ENOTFOUND) writes nothing and does not
	// stop the others: its error is at its index in errs. err is for the
	// transaction as a whole (EINVALID objects, the database), and then
	// nothing is written.
	CompleteEvents(ctx context.Context, owner string, cs []Completion) (errs []error, err error)

	// FailEvent records a failed attempt if owner still holds the lease:
	// status failed with the next attempt at retryAt (now if zero), or dead
	// when dead is true. reason must be free of secrets. EUNAVAILABLE if the
	// lease was lost, ENOTFOUND if there is no such event; in both cases
	// nothing is written.
	FailEvent(ctx context.Context, id, owner, reason string, retryAt time.Time, dead bool) error

	// ReleaseEvent gives back an event that owner claimed but will not
	// process (the worker is stopping): its lease is dropped and the attempt
	// its claim counted is taken back, so another worker claims it at once.
	// EUNAVAILABLE if owner no longer holds the lease.
	ReleaseEvent(ctx context.Context, id, owner string) error

	// ReplayEvent sets an event back to pending, due now, whatever its
	// status, with its attempts reset and any lease dropped. ENOTFOUND if
	// there is none.
	ReplayEvent(ctx context.Context, id string) error

	// ReplayEvents sets every event of the given status back to pending and
	// returns how many it changed. EINVALID for an unknown status.
	ReplayEvents(ctx context.Context, status EventStatus) (int, error)

	// CountEvents returns the number of events in each status, every
	// status present.
	CountEvents(ctx context.Context) (map[EventStatus]int, error)
}

// Completion is one event to complete with CompleteEvents and the mirror
// writes that go with it.
type Completion struct {
	EventID string
	Objects []*MirrorObject
}

// ValidateCompletions checks every completion's objects.
func ValidateCompletions(cs []Completion) error {
	for _, c := range cs {
		if c.EventID == "" {
			return Errorf(EINVALID, "a completion needs an event id")
		}
		if err := ValidateObjects(c.Objects); err != nil {
			return err
		}
	}
	return nil
}

package paywarden

import (
	"context"
	"time"
)

// EventQuery selects events for SearchEvents: the dashboard's timeline
// filters. Zero fields match everything.
type EventQuery struct {
	Status       EventStatus
	Type         string
	ObjectID     string    // data.object.id
	ReceivedFrom time.Time // inclusive
	ReceivedTo   time.Time // exclusive
	// StartingAfter is an event id: list events received before it
	// (events are listed newest first).
	StartingAfter string
	Limit         int // default 100
}

// EventCount is how many of the events received in [Start, Start+step)
// are in Status now.
type EventCount struct {
	Start  time.Time
	Status EventStatus
	Count  int
}

// EventQueryStore answers the questions an operator asks of the stored
// events, beyond what the workers need.
type EventQueryStore interface {
	// SearchEvents returns the events that match q, newest received first.
	// EINVALID if q.Status is unknown or q.StartingAfter names no event.
	SearchEvents(ctx context.Context, q EventQuery) ([]*Event, error)
	// CountEventsReceived counts the events received in [from, to) by
	// step-long buckets starting at from and by current status. Buckets
	// without events are left out. EINVALID if step is not positive.
	CountEventsReceived(ctx context.Context, from, to time.Time, step time.Duration) ([]EventCount, error)
	// ReplayEventsOfType sets every event of the given status and type back
	// to pending, as ReplayEvent does, and returns how many it changed.
	// EINVALID for an unknown status or an empty type.
	ReplayEventsOfType(ctx context.Context, status EventStatus, typ string) (int, error)
}

// Validate returns EINVALID for an unknown Status.
func (q *EventQuery) Validate() error {
	if q.Status != "" {
		return q.Status.Validate()
	}
	return nil
}

// WithDefaults returns q with a Limit that is not positive replaced by
// DefaultListLimit.
func (q EventQuery) WithDefaults() EventQuery {
	if q.Limit <= 0 {
		q.Limit = DefaultListLimit
	}
	return q
}

// Query returns the EventQuery that selects what f selects, so that a
// store answers ListEvents and SearchEvents with one query.
func (f EventFilter) Query() EventQuery {
	return EventQuery{Status: f.Status, Type: f.Type, StartingAfter: f.StartingAfter, Limit: f.Limit}
}

// ValidateBucket checks the bucket length of CountEventsReceived, which
// stores count in whole microseconds. EINVALID if it is shorter.
func ValidateBucket(step time.Duration) error {
	if step < time.Microsecond {
		return Errorf(EINVALID, "a bucket must be at least a microsecond long")
	}
	return nil
}

// ValidateReplayType checks the arguments of ReplayEventsOfType. EINVALID
// for an unknown status or an empty type.
func ValidateReplayType(status EventStatus, typ string) error {
	if !status.Valid() || typ == "" {
		return Errorf(EINVALID, "replaying by type needs a known status and a type")
	}
	return nil
}

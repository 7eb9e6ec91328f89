// Package rowmap is the Go the SQLite and PostgreSQL stores share: the
// column lists of paywarden's tables, in the order both stores insert and
// scan them, the Go value of each column, and the few results both compute
// the same way (claim order, lease errors, status counts).
//
// Each store supplies Times, how its dialect writes and reads a time, the
// one thing the two store differently. rowmap holds no statement of either
// dialect and must not open a connection: the stores keep their SQL.
package rowmap

import (
	"slices"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// Times is how a dialect writes and reads time columns.
type Times struct {
	// Value is the argument for a NOT NULL time column.
	Value func(time.Time) any
	// Null is the argument for a nullable time column: NULL for the zero time.
	Null func(time.Time) any
	// Dest is a scan destination that sets *t, to the zero time for NULL.
	Dest func(t *time.Time) any
}

// EventColumns are the columns of events that InsertEvents writes and every
// read returns.
const EventColumns = `id, type, created, livemode, api_version, object_id, object_type, endpoint, payload,
	status, attempts, last_error, received_at, next_attempt_at, processed_at`

// EventValues returns the values of EventColumns for e, which should have
// its defaults (paywarden.Event.WithDefaults).
func EventValues(e *paywarden.Event, tm Times) []any {
	return []any{e.ID, e.Type, tm.Value(e.Created), e.Livemode, e.APIVersion, e.ObjectID, e.ObjectType,
		e.Endpoint, NonNil(e.Payload), string(e.Status), e.Attempts, e.LastError, tm.Value(e.ReceivedAt),
		tm.Value(e.NextAttemptAt), tm.Null(e.ProcessedAt)}
}

// EventDest returns the scan destinations of EventColumns into e.
func EventDest(e *paywarden.Event, tm Times) []any {
	return []any{&e.ID, &e.Type, tm.Dest(&e.Created), &e.Livemode, &e.APIVersion, &e.ObjectID, &e.ObjectType,
		&e.Endpoint, &e.Payload, &e.Status, &e.Attempts, &e.LastError, tm.Dest(&e.ReceivedAt),
		tm.Dest(&e.NextAttemptAt), tm.Dest(&e.ProcessedAt)}
}

// SortClaimed puts claimed events in claim order, oldest Created first:
// RETURNING promises no order.
func SortClaimed(es []*paywarden.Event) {
	slices.SortFunc(es, func(a, b *paywarden.Event) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// FailStatus is the status FailEvent sets: dead, or failed to be retried.
func FailStatus(dead bool) paywarden.EventStatus {
	if dead {
		return paywarden.EventDead
	}
	return paywarden.EventFailed
}

// LeaseLost is the error of an update under an event's lease that changed
// no row: ENOTFOUND when the event does not exist, else EUNAVAILABLE.
func LeaseLost(id string, exists bool) error {
	if !exists {
		return paywarden.Errorf(paywarden.ENOTFOUND, "event %s not found", id)
	}
	return paywarden.Errorf(paywarden.EUNAVAILABLE, "event %s: the lease was lost", id)
}

// IsLeaseLost reports whether err is one of LeaseLost's errors: a
// completion that fails with it is skipped, not the whole batch.
func IsLeaseLost(err error) bool {
	c := paywarden.ErrorCode(err)
	return c == paywarden.ENOTFOUND || c == paywarden.EUNAVAILABLE
}

// StatusCount is one row of a count of events by status: status, count(*).
type StatusCount struct {
	Status paywarden.EventStatus
	N      int
}

// StatusCountDest returns the scan destinations of a StatusCount row.
func StatusCountDest(c *StatusCount, _ Times) []any { return []any{&c.Status, &c.N} }

// StatusCounts returns what CountEvents returns for the rows: a count for
// every status, zero where there is no row.
func StatusCounts(rows []*StatusCount) map[paywarden.EventStatus]int {
	counts := map[paywarden.EventStatus]int{
		paywarden.EventPending: 0, paywarden.EventProcessed: 0, paywarden.EventFailed: 0,
		paywarden.EventDead: 0, paywarden.EventQuarantined: 0,
	}
	for _, r := range rows {
		counts[r.Status] = r.N
	}
	return counts
}

// BucketCount is one row of a count of events by bucket of receipt and by
// status: bucket, status, count(*), where bucket is the number of whole
// steps from the start of the count.
type BucketCount struct {
	Bucket int64
	Status paywarden.EventStatus
	N      int
}

// BucketCountDest returns the scan destinations of a BucketCount row.
func BucketCountDest(c *BucketCount, _ Times) []any { return []any{&c.Bucket, &c.Status, &c.N} }

// EventCounts returns what CountEventsReceived returns for the rows of a
// count that started at from with buckets step long. Stores count whole
// microseconds, so from and step are truncated to the microsecond.
func EventCounts(rows []*BucketCount, from time.Time, step time.Duration) []paywarden.EventCount {
	start, s := time.UnixMicro(from.UnixMicro()).UTC(), step.Microseconds()
	var out []paywarden.EventCount
	for _, r := range rows {
		out = append(out, paywarden.EventCount{
			Start:  start.Add(time.Duration(r.Bucket*s) * time.Microsecond),
			Status: r.Status,
			Count:  r.N,
		})
	}
	return out
}

// ObjectColumns are the columns of mirror_objects that an upsert writes
// (with updated_at after them) and every read returns.
const ObjectColumns = `type, id, livemode, customer, status, currency, amount, created, data, version, fetched, event_id`

// ObjectValues returns the values of ObjectColumns for o, then updatedAt.
func ObjectValues(o *paywarden.MirrorObject, updatedAt time.Time, tm Times) []any {
	return []any{o.Type, o.ID, o.Livemode, o.Customer, o.Status, o.Currency, o.Amount,
		tm.Value(o.Created), NonNil(o.Data), tm.Value(o.Version), o.Fetched, o.EventID, tm.Value(updatedAt)}
}

// ObjectDest returns the scan destinations of ObjectColumns into o.
func ObjectDest(o *paywarden.MirrorObject, tm Times) []any {
	return []any{&o.Type, &o.ID, &o.Livemode, &o.Customer, &o.Status, &o.Currency, &o.Amount,
		tm.Dest(&o.Created), &o.Data, tm.Dest(&o.Version), &o.Fetched, &o.EventID}
}

// TokenColumns are the columns of tokens.
const TokenColumns = `id, name, scopes, hash, created_at, last_used_at, revoked_at`

// TokenValues returns the values of TokenColumns for t, which should have
// its defaults; scopes is t.Scopes as the dialect stores a list.
func TokenValues(t *paywarden.Token, scopes any, tm Times) []any {
	return []any{t.ID, t.Name, scopes, t.Hash, tm.Value(t.CreatedAt), tm.Null(t.LastUsedAt), tm.Null(t.RevokedAt)}
}

// TokenDest returns the scan destinations of TokenColumns into t; scopes
// is the dialect's destination for t.Scopes.
func TokenDest(t *paywarden.Token, scopes any, tm Times) []any {
	return []any{&t.ID, &t.Name, scopes, &t.Hash, tm.Dest(&t.CreatedAt), tm.Dest(&t.LastUsedAt), tm.Dest(&t.RevokedAt)}
}

// SessionColumns are the columns of ui_sessions.
const SessionColumns = `hash, token_id, csrf, created_at, expires_at`

// SessionValues returns the values of SessionColumns for s, which should
// have its defaults (paywarden.Session.WithDefaults).
func SessionValues(s *paywarden.Session, tm Times) []any {
	return []any{s.Hash, s.TokenID, s.CSRF, tm.Value(s.CreatedAt), tm.Value(s.ExpiresAt)}
}

// SessionTokenColumns are what a session is read with: the columns of
// ui_sessions s, then the name and scopes of its token t.
const SessionTokenColumns = `s.hash, s.token_id, s.csrf, s.created_at, s.expires_at, t.name, t.scopes`

// SessionDest returns the scan destinations of SessionTokenColumns into s;
// scopes is the dialect's destination for s.Scopes.
func SessionDest(s *paywarden.Session, scopes any, tm Times) []any {
	return []any{&s.Hash, &s.TokenID, &s.CSRF, tm.Dest(&s.CreatedAt), tm.Dest(&s.ExpiresAt), &s.TokenName, scopes}
}

// IdempotencyColumns are the columns of idempotency.
const IdempotencyColumns = `token_id, key, request_hash, locked_until, status, body, created_at, expires_at`

// IdempotencyDest returns the scan destinations of IdempotencyColumns into r.
func IdempotencyDest(r *paywarden.IdempotencyRecord, tm Times) []any {
	return []any{&r.TokenID, &r.Key, &r.RequestHash, tm.Dest(&r.LockedUntil), &r.Status, &r.Body,
		tm.Dest(&r.CreatedAt), tm.Dest(&r.ExpiresAt)}
}

// KeyColumns are the columns of keys.
const KeyColumns = `fingerprint, capability, source, kind, livemode, first_seen, last_seen`

// KeyValues returns the values of KeyColumns for k, which should have its
// defaults.
func KeyValues(k *paywarden.KeyRecord, tm Times) []any {
	return []any{k.Fingerprint, k.Capability, k.Source, string(k.Kind), k.Livemode,
		tm.Value(k.FirstSeen), tm.Value(k.LastSeen)}
}

// KeyDest returns the scan destinations of KeyColumns into k.
func KeyDest(k *paywarden.KeyRecord, tm Times) []any {
	return []any{&k.Fingerprint, &k.Capability, &k.Source, &k.Kind, &k.Livemode, tm.Dest(&k.FirstSeen), tm.Dest(&k.LastSeen)}
}

// NonNil keeps a nil []byte out of a NOT NULL binary column.
func NonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

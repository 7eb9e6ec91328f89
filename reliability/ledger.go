package main

// Events, their delivery, and the ledger that proves what paywarden
// promised: every event answered 2xx is stored, none is stored twice, and
// every stored event is processed exactly once.

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripesig"
)

// newClient returns an HTTP client for the servers under test: their
// certificates are self-signed at start, and every address is loopback.
func newClient(timeout time.Duration, conns int) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: conns,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
	}
}

// ledger makes customer.updated events for a fixed set of customers, each
// newer than the last for its customer, and records every answer.
type ledger struct {
	mu        sync.Mutex
	customers []string
	seq       int64
	base      int64
	pad       string
	bodies    map[string][]byte
	order     []string
	acked     map[string]bool // answered 2xx at least once
	created   map[string]int  // 2xx answers that said the event was new
	status    map[int]int
	errs      int // no answer (connection refused or reset, timeouts)
	timeouts  int
}

func newLedger(customers, padBytes int) *ledger {
	l := &ledger{base: time.Now().Add(-2 * time.Hour).Unix(), bodies: map[string][]byte{},
		acked: map[string]bool{}, created: map[string]int{}, status: map[int]int{}, pad: strings.Repeat("x", padBytes)}
	for range customers {
		l.customers = append(l.customers, "cus_"+randAlnum(14))
	}
	return l
}

// next returns a new event, or now and then one already made (Stripe
// redelivers) when redeliver is true.
func (l *ledger) next(redeliver bool) (string, []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if redeliver && len(l.order) > 0 && rand.IntN(4) == 0 {
		id := l.order[rand.IntN(len(l.order))]
		return id, l.bodies[id]
	}
	l.seq++
	id := "evt_" + randAlnum(24)
	cus := l.customers[rand.IntN(len(l.customers))]
	obj := map[string]any{"id": cus, "object": "customer", "email": fmt.Sprintf("v%d@example.com", l.seq),
		"created": l.base, "livemode": false, "metadata": map[string]string{"version": fmt.Sprint(l.seq)}}
	if l.pad != "" {
		obj["description"] = l.pad
	}
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": "customer.updated", "created": l.base + l.seq,
		"livemode": false, "api_version": stripe.APIVersion, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	})
	if err != nil {
		panic(err)
	}
	l.bodies[id] = b
	l.order = append(l.order, id)
	return id, b
}

// answer is paywarden's answer to one delivery.
type answer struct {
	status  int
	created bool
	timeout bool
	err     error
}

// send posts one signed event to the receiver at base.
func send(ctx context.Context, c *http.Client, base, secret string, body []byte) answer {
	return sendSigned(ctx, c, base, sign(secret, body), body)
}

func sign(secret string, body []byte) string {
	return stripesig.Sign(body, paywarden.NewSecret(secret), time.Now())
}

// sendSigned posts body with the Stripe-Signature header sig.
func sendSigned(ctx context.Context, c *http.Client, base, sig string, body []byte) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/stripe", bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sig)
	resp, err := c.Do(req)
	if err != nil {
		var ne net.Error
		return answer{err: err, timeout: errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, created: resp.StatusCode/100 == 2 && !bytes.Contains(b, []byte(`"duplicate":true`))}
}

// record notes a's answer to event id. Errors after ctx is done (the
// process was killed on purpose) are not counted.
func (l *ledger) record(ctx context.Context, id string, a answer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case a.err != nil:
		if ctx.Err() == nil {
			l.errs++
			if a.timeout {
				l.timeouts++
			}
		}
	default:
		l.status[a.status]++
		if a.status/100 == 2 {
			l.acked[id] = true
			if a.created {
				l.created[id]++
			}
		}
	}
}

// load sends events to base from workers goroutines until ctx is done or
// budget deliveries are made, with redeliveries mixed in.
func (l *ledger) load(ctx context.Context, c *http.Client, base, secret string, workers, budget int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				budget--
				ok := budget >= 0
				mu.Unlock()
				if !ok {
					return
				}
				id, body := l.next(true)
				l.record(ctx, id, send(ctx, c, base, secret, body))
			}
		})
	}
	wg.Wait()
}

func (l *ledger) counts() (acked, twice int, status map[int]int, errs int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.created {
		if n > 1 {
			twice++
		}
	}
	status = map[int]int{}
	for k, v := range l.status {
		status[k] = v
	}
	return len(l.acked), twice, status, l.errs
}

// statusText is "200:n 503:m ..." for the table.
func statusText(m map[int]int) string {
	var parts []string
	for _, code := range []int{200, 201, 400, 409, 413, 429, 500, 502, 503} {
		if m[code] > 0 {
			parts = append(parts, fmt.Sprintf("%d:%d", code, m[code]))
		}
	}
	for code, n := range m {
		switch code {
		case 200, 201, 400, 409, 413, 429, 500, 502, 503:
		default:
			parts = append(parts, fmt.Sprintf("%d:%d", code, n))
		}
	}
	return strings.Join(parts, " ")
}

// openStore opens the database at url for the ledger check, as paywarden
// does; the caller closes it. Only while no paywarden writes to a SQLite
// file: it has one writer.
func openStore(ctx context.Context, url string) (paywarden.Store, error) {
	log := slog.New(slog.DiscardHandler)
	if strings.HasPrefix(url, "postgres") {
		return postgres.Open(ctx, url, log)
	}
	return sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite:"), log)
}

// allEvents returns every stored event, by id.
func allEvents(ctx context.Context, st paywarden.EventStore) (map[string]*paywarden.Event, error) {
	out := map[string]*paywarden.Event{}
	f := paywarden.EventFilter{Limit: 500}
	for {
		page, err := st.ListEvents(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if out[e.ID] != nil {
				return nil, fmt.Errorf("ListEvents lists %s twice", e.ID)
			}
			out[e.ID] = e
		}
		if len(page) < f.Limit {
			return out, nil
		}
		f.StartingAfter = page[len(page)-1].ID
	}
}

// checkStored fails r for every event answered 2xx that is not stored and
// every event stored more than once, and returns the stored events.
func (l *ledger) checkStored(ctx context.Context, st paywarden.EventStore, r *result) map[string]*paywarden.Event {
	stored, err := allEvents(ctx, st)
	if err != nil {
		r.failf("listing events: %v", err)
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.acked {
		if stored[id] == nil {
			r.failf("%s was answered 2xx but is not stored", id)
		}
	}
	for id, n := range l.created {
		if n > 1 {
			r.failf("%s was answered as new %d times (stored twice)", id, n)
		}
	}
	return stored
}

// waitProcessed waits up to d until every stored event is processed, none
// pending or failed: the workers run asynchronously by design.
func waitProcessed(ctx context.Context, st paywarden.EventStore, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := st.CountEvents(ctx)
		if err == nil && c[paywarden.EventPending] == 0 && c[paywarden.EventFailed] == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("after %s: event counts %v (%v)", d, c, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkProcessedOnce fails r for every stored event that is not processed
// after exactly one attempt, and for every customer whose mirror does not
// hold its newest event's state.
func checkProcessedOnce(ctx context.Context, st paywarden.Store, stored map[string]*paywarden.Event, r *result) {
	newest := map[string]*paywarden.Event{}
	for id, e := range stored {
		if e.Status != paywarden.EventProcessed || e.Attempts != 1 {
			r.failf("%s: %s after %d attempts, want processed after 1", id, e.Status, e.Attempts)
		}
		if n := newest[e.ObjectID]; n == nil || e.Created.After(n.Created) {
			newest[e.ObjectID] = e
		}
	}
	for id, e := range newest {
		obj, err := st.Object(ctx, paywarden.ObjectCustomer, id)
		if err != nil {
			r.failf("customer %s: %v", id, err)
			continue
		}
		if obj.EventID != e.ID || !obj.Version.Equal(e.Created) {
			r.failf("customer %s: mirror from %s, want the newest event %s", id, obj.EventID, e.ID)
		}
	}
}

// integrity runs SQLite's integrity_check on the file at path.
func integrity(path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	var s string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&s); err != nil {
		return err
	}
	if s != "ok" {
		return fmt.Errorf("integrity_check: %s", s)
	}
	return nil
}

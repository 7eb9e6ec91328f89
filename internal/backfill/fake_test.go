package backfill

// A fake Stripe with state, which stripe-mock does not have: paginated
// lists that a test can change, fault injection (429 with Retry-After) and
// a request that is held unanswered until the caller gives up.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// listPaths are the list APIs the fake serves, by object type.
var listPaths = map[string]string{
	paywarden.ObjectCustomer: "/v1/customers",
	paywarden.ObjectCharge:   "/v1/charges",
	paywarden.ObjectPayout:   "/v1/payouts",
}

type fakeStripe struct {
	*httptest.Server
	t       testing.TB
	readKey string

	mu       sync.Mutex
	objects  map[string][]map[string]any // by list path, newest first
	requests []string                    // "path starting_after", in order
	queries  []string                    // raw queries, in order
	fail     map[int]bool                // 1-based request numbers answered 429
	hold     map[int]chan struct{}       // request numbers held; closed when they arrive
}

func newFakeStripe(t testing.TB) *fakeStripe {
	f := &fakeStripe{t: t, readKey: "rk_" + "test_" + strings.Repeat("r", 24),
		objects: map[string][]map[string]any{}, fail: map[int]bool{}, hold: map[int]chan struct{}{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// add makes n objects of typ, created one second apart ending an hour ago,
// with ids prefix_001 (the oldest) to prefix_n, and returns them newest first.
func (f *fakeStripe) add(typ, prefix string, n int) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	base := time.Now().Add(-time.Hour).Unix() - int64(n)
	path := listPaths[typ]
	for i := 1; i <= n; i++ {
		o := map[string]any{"id": fmt.Sprintf("%s_%03d", prefix, i), "object": typ, "created": base + int64(i),
			"livemode": false, "metadata": map[string]any{"n": strconv.Itoa(i)}}
		switch typ {
		case paywarden.ObjectCharge, paywarden.ObjectPayout:
			o["amount"], o["currency"], o["status"] = 100*i, "usd", "succeeded"
		case paywarden.ObjectCustomer:
			o["email"] = fmt.Sprintf("c%d@example.com", i)
		}
		f.objects[path] = append([]map[string]any{o}, f.objects[path]...)
	}
	return slices.Clone(f.objects[path])
}

// set changes one field of an object, as a change in Stripe would.
func (f *fakeStripe) set(typ, id, field string, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.objects[listPaths[typ]] {
		if o["id"] == id {
			o[field] = v
			return
		}
	}
	f.t.Fatalf("no %s %s", typ, id)
}

// remove deletes an object, as deleting it at Stripe would.
func (f *fakeStripe) remove(typ, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := listPaths[typ]
	f.objects[path] = slices.DeleteFunc(f.objects[path], func(o map[string]any) bool { return o["id"] == id })
}

// failRequest makes request number n (1-based, counting every request)
// answer 429 with Retry-After: 2.
func (f *fakeStripe) failRequest(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[n] = true
}

// holdRequest makes request number n wait unanswered until its caller
// gives up; the channel is closed when it arrives.
func (f *fakeStripe) holdRequest(n int) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	f.hold[n] = ch
	return ch
}

func (f *fakeStripe) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeStripe) query(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[i]
}

func (f *fakeStripe) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.Path+" "+q.Get("starting_after"))
	f.queries = append(f.queries, r.URL.RawQuery)
	n := len(f.requests)
	fail, held := f.fail[n], f.hold[n]
	f.mu.Unlock()
	if held != nil {
		close(held)
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Header.Get("Authorization") != "Bearer "+f.readKey:
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"This call needs the read key."}}`)
		return
	case r.Header.Get("Stripe-Version") != stripeapi.APIVersion:
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"Wrong API version."}}`)
		return
	case fail:
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests."}}`)
		return
	}
	page, err := f.page(r.URL.Path, q)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"starting_after","message":%q}}`, err.Error())
		return
	}
	// Indented, as Stripe answers: the mirror must not depend on it.
	b, _ := json.MarshalIndent(page, "", "  ")
	w.Write(b)
}

// page answers one list request from the current state.
func (f *fakeStripe) page(path string, q map[string][]string) (map[string]any, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	all, ok := f.objects[path]
	if !ok && listPathType(path) == "" {
		return nil, fmt.Errorf("no such list %s", path)
	}
	var gte int64
	if s := get("created[gte]"); s != "" {
		gte, _ = strconv.ParseInt(s, 10, 64)
	}
	var objs []map[string]any
	for _, o := range all {
		if o["created"].(int64) >= gte {
			objs = append(objs, o)
		}
	}
	if after := get("starting_after"); after != "" {
		i := slices.IndexFunc(objs, func(o map[string]any) bool { return o["id"] == after })
		if i < 0 {
			return nil, fmt.Errorf("no such object %s", after)
		}
		objs = objs[i+1:]
	}
	limit, _ := strconv.Atoi(get("limit"))
	more := len(objs) > limit
	if more {
		objs = objs[:limit]
	}
	data := make([]any, 0, len(objs))
	for _, o := range objs {
		data = append(data, o)
	}
	return map[string]any{"object": "list", "url": path, "has_more": more, "data": data}, nil
}

func listPathType(path string) string {
	for typ, p := range listPaths {
		if p == path {
			return typ
		}
	}
	return ""
}

// client returns a Stripe client of the fake: the default key differs from
// the read key, so a list made with the wrong key fails. Waits for retries
// are recorded in waits instead of slept.
func (f *fakeStripe) client(t testing.TB, waits *[]time.Duration) *stripeapi.Client {
	t.Helper()
	var mu sync.Mutex
	c, err := stripeapi.New(stripeapi.Config{
		Keys: map[string]paywarden.Secret{
			paywarden.CapabilityDefault: paywarden.NewSecret("sk_" + "test_" + strings.Repeat("d", 24)),
			paywarden.CapabilityRead:    paywarden.NewSecret(f.readKey),
		},
		APIBase: f.URL, RateLimit: -1,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			if waits != nil {
				*waits = append(*waits, d)
			}
			return ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// forEachStore runs fn on a new, migrated SQLite file and on PostgreSQL
// (skipped when PAYWARDEN_TEST_POSTGRES_URL is unset).
func forEachStore(t *testing.T, fn func(t *testing.T, st paywarden.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres(t)) })
}

func openSQLite(t testing.TB) paywarden.Store {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "pw.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db
}

func openPostgres(t testing.TB) paywarden.Store {
	db, err := postgres.Open(context.Background(), postgrestest.URL(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db
}

func migrate(t testing.TB, st paywarden.Store) {
	t.Helper()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

package webhook

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripesig"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stripe/stripe-go/v85"
)

// Secrets are made at run time: nothing secret-shaped is committed.
var (
	secretA = paywarden.NewSecret("whsec_" + strings.Repeat("a1", 16))
	secretB = paywarden.NewSecret("whsec_" + strings.Repeat("b2", 16))
	expired = paywarden.NewSecret("whsec_" + strings.Repeat("c3", 16))
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func eventJSON(id, typ string, created time.Time, livemode bool, apiVersion string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"created":%d,"livemode":%t,"type":%q,`+
		`"data":{"object":{"id":"cus_Test123","object":"customer","email":"a@example.com","name":"A"}},`+
		`"pending_webhooks":1,"request":{"id":null,"idempotency_key":null}}`,
		id, apiVersion, created.Unix(), livemode, typ)
}

// recorder is the store boundary: it records what the receiver submits.
type recorder struct {
	mu     sync.Mutex
	events map[string]*paywarden.Event
	full   bool
}

func (r *recorder) submit(_ context.Context, e *paywarden.Event) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.full {
		return false, ErrQueueFull
	}
	if _, ok := r.events[e.ID]; ok {
		return false, nil
	}
	r.events[e.ID] = e
	return true, nil
}

func newTestReceiver(t testing.TB, now time.Time) (*Receiver, *recorder) {
	t.Helper()
	rec := &recorder{events: map[string]*paywarden.Event{}}
	rc := NewReceiver(Options{
		Secrets: func(endpoint string, at time.Time) []paywarden.Secret {
			switch endpoint {
			case "":
				// expired was active until an hour before t0.
				if at.Before(t0.Add(-time.Hour)) {
					return []paywarden.Secret{secretA, secretB, expired}
				}
				return []paywarden.Secret{secretA, secretB}
			case "connect":
				return []paywarden.Secret{secretB}
			}
			return nil
		},
		Submit:     rec.submit,
		Metrics:    NewMetrics(prometheus.NewRegistry()),
		Tolerance:  300 * time.Second,
		MaxBody:    64 << 10,
		APIVersion: stripe.APIVersion,
		Now:        func() time.Time { return now },
	})
	return rc, rec
}

func post(t *testing.T, h http.Handler, path, sig string, body []byte) *http.Response {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/stripe", h)
	mux.Handle("POST /webhooks/stripe/{endpoint}", h)
	req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	return w.Result()
}

func TestReceiverRefusesForgeryAndReplay(t *testing.T) {
	body := eventJSON("evt_1", "customer.updated", t0, false, stripe.APIVersion)
	good := stripesig.Sign(body, secretA, t0)
	mac := strings.TrimPrefix(good[strings.Index(good, "v1="):], "v1=")
	ts := fmt.Sprint(t0.Unix())

	flipped := append([]byte(nil), body...)
	flipped[len(flipped)/2] ^= 0x01
	reserialized := []byte(strings.ReplaceAll(string(body), `,"`, `, "`))

	tests := []struct {
		name string
		path string
		sig  string
		body []byte
	}{
		{"wrong secret", "/webhooks/stripe", stripesig.Sign(body, paywarden.NewSecret("whsec_"+strings.Repeat("d4", 16)), t0), body},
		{"secret of another endpoint", "/webhooks/stripe/connect", good, body},
		{"unknown endpoint", "/webhooks/stripe/nope", good, body},
		{"one flipped body byte", "/webhooks/stripe", good, flipped},
		{"truncated signature", "/webhooks/stripe", good[:len(good)-2], body},
		{"v0 only", "/webhooks/stripe", "t=" + ts + ",v0=" + mac, body},
		{"empty header", "/webhooks/stripe", "", body},
		{"duplicated t", "/webhooks/stripe", "t=" + ts + ",t=" + ts + ",v1=" + mac, body},
		{"non-hex v1", "/webhooks/stripe", "t=" + ts + ",v1=" + strings.Repeat("zz", 32), body},
		{"signature over a re-serialized body", "/webhooks/stripe", stripesig.Sign(body, secretA, t0), reserialized},
		{"old timestamp", "/webhooks/stripe", stripesig.Sign(body, secretA, t0.Add(-301*time.Second)), body},
		{"future timestamp", "/webhooks/stripe", stripesig.Sign(body, secretA, t0.Add(301*time.Second)), body},
		{"expired secret", "/webhooks/stripe", stripesig.Sign(body, expired, t0), body},
		{"livemode mismatch", "/webhooks/stripe",
			stripesig.Sign(eventJSON("evt_1", "customer.updated", t0, true, stripe.APIVersion), secretA, t0),
			eventJSON("evt_1", "customer.updated", t0, true, stripe.APIVersion)},
		{"not an event", "/webhooks/stripe", stripesig.Sign([]byte(`{"id":"evt_1"}`), secretA, t0), []byte(`{"id":"evt_1"}`)},
		{"spaces in header", "/webhooks/stripe", "t=" + ts + ", v1=" + mac, body},
		{"no t", "/webhooks/stripe", "v1=" + mac, body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, rec := newTestReceiver(t, t0)
			resp := post(t, rc, tt.path, tt.sig, tt.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status: got %d, want 400", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("content type: got %q, want application/problem+json", got)
			}
			if len(rec.events) != 0 {
				t.Errorf("stored %d events, want 0", len(rec.events))
			}
		})
	}
}

func TestReceiverAccepts(t *testing.T) {
	body := eventJSON("evt_1", "customer.updated", t0, false, stripe.APIVersion)
	sigA := stripesig.Sign(body, secretA, t0)
	sigB := stripesig.Sign(body, secretB, t0)
	v1B := sigB[strings.Index(sigB, "v1="):]

	tests := []struct {
		name string
		path string
		sig  string
	}{
		{"first secret", "/webhooks/stripe", sigA},
		{"second secret", "/webhooks/stripe", sigB},
		{"rotation: two v1 and two active secrets", "/webhooks/stripe", sigA + "," + v1B},
		{"v1 with an unknown v0 beside it", "/webhooks/stripe", sigA + ",v0=" + hex.EncodeToString(make([]byte, 32))},
		{"named endpoint", "/webhooks/stripe/connect", sigB},
		{"at the edge of the tolerance, past", "/webhooks/stripe", stripesig.Sign(body, secretA, t0.Add(-300*time.Second))},
		{"at the edge of the tolerance, future", "/webhooks/stripe", stripesig.Sign(body, secretA, t0.Add(300*time.Second))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, rec := newTestReceiver(t, t0)
			resp := post(t, rc, tt.path, tt.sig, body)
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status: got %d (%s), want 200", resp.StatusCode, b)
			}
			ev := rec.events["evt_1"]
			if ev == nil {
				t.Fatal("event not stored")
			}
			if ev.Status != paywarden.EventPending {
				t.Errorf("status: got %q, want pending", ev.Status)
			}
			if string(ev.Payload) != string(body) {
				t.Error("payload differs from the body received")
			}
			wantEndpoint := DefaultEndpoint
			if strings.HasSuffix(tt.path, "/connect") {
				wantEndpoint = "connect"
			}
			if ev.Endpoint != wantEndpoint {
				t.Errorf("endpoint: got %q, want %q", ev.Endpoint, wantEndpoint)
			}
		})
	}
}

func TestReceiverDuplicateAndQuarantine(t *testing.T) {
	rc, rec := newTestReceiver(t, t0)
	body := eventJSON("evt_dup", "customer.updated", t0, false, stripe.APIVersion)
	for i := range 3 {
		resp := post(t, rc, "/webhooks/stripe", stripesig.Sign(body, secretA, t0), body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("attempt %d: status %d, want 200", i, resp.StatusCode)
		}
		b, _ := io.ReadAll(resp.Body)
		if dup := strings.Contains(string(b), "duplicate"); dup != (i > 0) {
			t.Errorf("attempt %d: got body %s", i, b)
		}
	}
	if len(rec.events) != 1 {
		t.Errorf("stored %d events, want 1", len(rec.events))
	}

	old := eventJSON("evt_old", "customer.updated", t0, false, "2020-08-27")
	resp := post(t, rc, "/webhooks/stripe", stripesig.Sign(old, secretA, t0), old)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("quarantined event: status %d, want 200", resp.StatusCode)
	}
	if got := rec.events["evt_old"].Status; got != paywarden.EventQuarantined {
		t.Errorf("status: got %q, want quarantined", got)
	}
}

func TestReceiverLimits(t *testing.T) {
	rc, rec := newTestReceiver(t, t0)
	big := eventJSON("evt_big", "customer.updated", t0, false, strings.Repeat("x", 70<<10))
	resp := post(t, rc, "/webhooks/stripe", stripesig.Sign(big, secretA, t0), big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize: got %d, want 413", resp.StatusCode)
	}

	// Without a Content-Length the cap still holds while reading.
	req := httptest.NewRequest("POST", "/webhooks/stripe", io.MultiReader(strings.NewReader(string(big))))
	req.ContentLength = -1
	req.Header.Set("Stripe-Signature", stripesig.Sign(big, secretA, t0))
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize, chunked: got %d, want 413", w.Code)
	}

	rec.full = true
	body := eventJSON("evt_full", "customer.updated", t0, false, stripe.APIVersion)
	resp = post(t, rc, "/webhooks/stripe", stripesig.Sign(body, secretA, t0), body)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("queue full: got %d, want 503", resp.StatusCode)
	}
	if len(rec.events) != 0 {
		t.Errorf("stored %d events, want 0", len(rec.events))
	}
}

// TestReceiverRefusesAmbiguousAndUnprintable: signed events that parsers
// would read differently (a member twice, or in two cases) or whose
// envelope holds control characters are refused with 400 and nothing is
// stored, whatever the store.
func TestReceiverRefusesAmbiguousAndUnprintable(t *testing.T) {
	good := string(eventJSON("evt_1", "customer.updated", t0, false, stripe.APIVersion))
	for name, body := range map[string]string{
		"id twice":                  strings.Replace(good, `"id":"evt_1",`, `"id":"evt_1","id":"evt_2",`, 1),
		"id and ID":                 strings.Replace(good, `"id":"evt_1",`, `"id":"evt_1","ID":"evt_2",`, 1),
		"escaped case variant":      strings.Replace(good, `"id":"evt_1",`, `"id":"evt_1","I\u0044":"evt_2",`, 1),
		"object id and ID":          strings.Replace(good, `"id":"cus_Test123",`, `"id":"cus_Test123","ID":"cus_Other",`, 1),
		"NUL in type":               strings.Replace(good, `"type":"customer.updated"`, `"type":"customer.\u0000updated"`, 1),
		"NUL in api_version":        strings.Replace(good, `"api_version":"`+stripe.APIVersion+`"`, `"api_version":"`+stripe.APIVersion+`\u0000"`, 1),
		"NUL in data.object.object": strings.Replace(good, `"object":"customer"`, `"object":"cus\u0000tomer"`, 1),
		"ESC in type":               strings.Replace(good, `"type":"customer.updated"`, `"type":"\u001b[2Jcustomer.updated"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if body == good {
				t.Fatal("the test body was not changed")
			}
			rc, rec := newTestReceiver(t, t0)
			resp := post(t, rc, "/webhooks/stripe", stripesig.Sign([]byte(body), secretA, t0), []byte(body))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status: got %d, want 400", resp.StatusCode)
			}
			if len(rec.events) != 0 {
				t.Errorf("stored %d events, want none", len(rec.events))
			}
		})
	}
}

// A named endpoint that is not configured is not found, not a signature
// failure: the operator should look at the URL, not the secret.
func TestReceiverUnknownEndpoint(t *testing.T) {
	body := eventJSON("evt_1", "customer.updated", t0, false, stripe.APIVersion)
	rc, rec := newTestReceiver(t, t0)
	rc.o.Known = func(ep string) bool { return ep == "connect" }
	resp := post(t, rc, "/webhooks/stripe/nope", stripesig.Sign(body, secretB, t0), body)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), `"type":"not_found"`) {
		t.Errorf("got %d %s, want 404 with type not_found", resp.StatusCode, b)
	}
	if len(rec.events) != 0 {
		t.Errorf("stored %d events, want 0", len(rec.events))
	}
	if resp := post(t, rc, "/webhooks/stripe/connect", stripesig.Sign(body, secretB, t0), body); resp.StatusCode != http.StatusOK {
		t.Errorf("known endpoint: got %d, want 200", resp.StatusCode)
	}
}

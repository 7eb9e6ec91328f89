// Package fixturestripe is a tiny fake Stripe that serves the objects of a
// report fixture (internal/report/testdata/*.json) through the list APIs
// that `paywarden sync` pages, so that the hand-computed datasets can reach
// a mirror the way real data does: through sync, not a direct load.
//
// It serves only lists (GET /v1/<plural> of each mirrored type), newest
// first, honouring limit, starting_after and created[gte] as Stripe does.
// It accepts any key: it guards nothing and holds only fixture data.
package fixturestripe

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"

	"github.com/paywarden/paywarden"
)

// Fixture is what a fixture file holds that the fake and its users read.
type Fixture struct {
	// Options are the report options the fixture's figures were computed
	// with: From, To (dates), Interval and Currency (empty for all).
	Options struct {
		From, To, Interval, Currency string
	} `json:"options"`
	// Objects are the fixture's objects in the order they were applied;
	// an id given more than once is a later state of the same object.
	Objects []struct {
		Object json.RawMessage `json:"object"`
	} `json:"objects"`
}

// ReadFile reads a fixture file.
func ReadFile(path string) (*Fixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Fixture
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// object is one listed object and what a list filters and orders it by.
type object struct {
	id, status string
	created    int64
	raw        json.RawMessage
}

// Server serves a fixture's objects through Stripe's list APIs. It is an
// http.Handler; its lists never change.
type Server struct {
	lists map[string][]object // by list path, newest first
}

// New returns a fake Stripe that lists f's objects. Only the last state of
// an object given more than once is listed, as Stripe lists current state.
// An error for an object that is not of a mirrored type.
func New(f *Fixture) (*Server, error) {
	s := &Server{lists: map[string][]object{}}
	for _, t := range paywarden.MirroredTypes {
		k, _ := paywarden.MirrorKindOf(t)
		s.lists[k.Path] = nil
	}
	latest := map[string]int{} // path+id → index in its list
	for _, o := range f.Objects {
		var h struct {
			ID, Object, Status string
			Created            int64
		}
		if err := json.Unmarshal(o.Object, &h); err != nil {
			return nil, err
		}
		k, ok := paywarden.MirrorKindOf(h.Object)
		if !ok || h.ID == "" {
			return nil, fmt.Errorf("fixture object %q of type %q is not a mirrored object", h.ID, h.Object)
		}
		obj := object{id: h.ID, status: h.Status, created: h.Created, raw: o.Object}
		if i, ok := latest[k.Path+"/"+h.ID]; ok {
			s.lists[k.Path][i] = obj
			continue
		}
		latest[k.Path+"/"+h.ID] = len(s.lists[k.Path])
		s.lists[k.Path] = append(s.lists[k.Path], obj)
	}
	for _, l := range s.lists {
		// Newest first; ties by id, so that pages are stable.
		slices.SortStableFunc(l, func(a, b object) int {
			return cmp.Or(cmp.Compare(b.created, a.created), cmp.Compare(b.id, a.id))
		})
	}
	return s, nil
}

// ServeHTTP answers GET /v1/<plural> of a mirrored type with a page of its
// list, and anything else with Stripe's 404 error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	all, ok := s.lists[r.URL.Path]
	if !ok || r.Method != http.MethodGet {
		stripeError(w, http.StatusNotFound, "", "", fmt.Sprintf("Unrecognized request URL (%s: %s).", r.Method, r.URL.Path))
		return
	}
	q := r.URL.Query()
	limit := 10 // Stripe's default page
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			stripeError(w, http.StatusBadRequest, "", "limit", "limit must be an integer from 1 to 100.")
			return
		}
		limit = n
	}
	gte, err := int64Param(q.Get("created[gte]"))
	if err != nil {
		stripeError(w, http.StatusBadRequest, "", "created[gte]", "created[gte] must be a Unix time.")
		return
	}
	objs := slices.DeleteFunc(slices.Clone(all), func(o object) bool {
		return o.created < gte || !statusListed(r.URL.Path, q.Get("status"), o.status)
	})
	if after := q.Get("starting_after"); after != "" {
		i := slices.IndexFunc(objs, func(o object) bool { return o.id == after })
		if i < 0 {
			stripeError(w, http.StatusBadRequest, "resource_missing", "starting_after", "No such object: '"+after+"'")
			return
		}
		objs = objs[i+1:]
	}
	page := struct {
		Object  string            `json:"object"`
		Data    []json.RawMessage `json:"data"`
		HasMore bool              `json:"has_more"`
		URL     string            `json:"url"`
	}{Object: "list", Data: []json.RawMessage{}, HasMore: len(objs) > limit, URL: r.URL.Path}
	for _, o := range objs[:min(limit, len(objs))] {
		page.Data = append(page.Data, o.raw)
	}
	json.NewEncoder(w).Encode(page)
}

// statusListed reports whether a list asked for status want holds an
// object of status got: Stripe leaves canceled subscriptions out unless
// status=all, and sync asks for all.
func statusListed(path, want, got string) bool {
	switch {
	case want == "all":
		return true
	case want != "":
		return got == want
	}
	return path != "/v1/subscriptions" || got != "canceled"
}

func int64Param(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// stripeError writes an error as Stripe shapes it, which Stripe's clients
// read.
func stripeError(w http.ResponseWriter, status int, code, param, msg string) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
		"type": "invalid_request_error", "code": code, "param": param, "message": msg}})
}

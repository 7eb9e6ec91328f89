package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// overviewData is what the overview shows.
type overviewData struct {
	Counts     []statusCount
	Chart      *chart
	Deliveries []delivery
	Keys       []keyAge
	Jobs       []JobRun
	JobsKnown  bool
	Failed     []*paywarden.Event // the latest failed, dead and quarantined events
}

type statusCount struct {
	Status paywarden.EventStatus
	Count  int
	Alert  bool // needs an operator
}

type delivery struct {
	Subscriber        string
	Delivered, Failed int
}

type keyAge struct {
	*paywarden.KeyRecord
	AgeDays     int
	RotationDue bool
}

func (u *UI) overview(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	ctx := r.Context()
	now := u.o.Now()
	counts, err := u.o.Store.CountEvents(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := &overviewData{}
	for _, st := range []paywarden.EventStatus{paywarden.EventPending, paywarden.EventFailed, paywarden.EventDead,
		paywarden.EventQuarantined, paywarden.EventProcessed} {
		alert := st == paywarden.EventDead || st == paywarden.EventQuarantined || st == paywarden.EventFailed
		d.Counts = append(d.Counts, statusCount{Status: st, Count: counts[st], Alert: alert && counts[st] > 0})
	}
	from := now.Add(-24 * time.Hour).Truncate(time.Minute)
	buckets, err := u.o.Store.CountEventsReceived(ctx, from, now, time.Minute)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Chart = eventChart(buckets, from, 24*60+1)
	for _, st := range []paywarden.EventStatus{paywarden.EventDead, paywarden.EventFailed, paywarden.EventQuarantined} {
		es, err := u.o.Store.SearchEvents(ctx, paywarden.EventQuery{Status: st, Limit: 5})
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d.Failed = append(d.Failed, es...)
	}
	keys, err := u.o.Store.Keys(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	for _, k := range keys {
		age := now.Sub(k.FirstSeen)
		d.Keys = append(d.Keys, keyAge{KeyRecord: k, AgeDays: int(age.Hours() / 24), RotationDue: age > u.o.RotationAge})
	}
	d.Deliveries = u.deliveries(ctx)
	if u.o.Jobs != nil {
		d.JobsKnown = true
		if d.Jobs, err = u.o.Jobs(ctx); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	u.render(w, r, http.StatusOK, "overview", sessionPage(s, "overview", "Overview", d))
}

// deliveries reads the subscriber delivery counters from the metrics:
// counts since this process started.
func (u *UI) deliveries(ctx context.Context) []delivery {
	if u.o.Gatherer == nil {
		return nil
	}
	mfs, err := u.o.Gatherer.Gather()
	if err != nil {
		u.o.Logger.WarnContext(ctx, "reading metrics for the dashboard", "err", err)
	}
	bySub := map[string]*delivery{}
	for _, mf := range mfs {
		if mf.GetName() != "paywarden_subscriber_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var sub, result string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "subscriber":
					sub = l.GetValue()
				case "result":
					result = l.GetValue()
				}
			}
			d := bySub[sub]
			if d == nil {
				d = &delivery{Subscriber: sub}
				bySub[sub] = d
			}
			n := int(m.GetCounter().GetValue())
			if result == "delivered" {
				d.Delivered += n
			} else {
				d.Failed += n
			}
		}
	}
	var out []delivery
	for _, d := range bySub {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b delivery) int { return strings.Compare(a.Subscriber, b.Subscriber) })
	return out
}

// pageSize is how many events a page of the timeline shows.
const pageSize = 50

type eventsData struct {
	Filter   url.Values
	Status   string
	Type     string
	Object   string
	From, To string
	Statuses []paywarden.EventStatus
	Events   []*paywarden.Event
	Next     template.URL // the next page; "" on the last
}

// events is the timeline with its filters: type, status, object, and
// received from/to dates (UTC, to inclusive).
func (u *UI) events(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	q := r.URL.Query()
	d := &eventsData{Status: q.Get("status"), Type: strings.TrimSpace(q.Get("type")),
		Object: strings.TrimSpace(q.Get("object")), From: q.Get("from"), To: q.Get("to"),
		Statuses: []paywarden.EventStatus{paywarden.EventPending, paywarden.EventProcessed, paywarden.EventFailed,
			paywarden.EventDead, paywarden.EventQuarantined}}
	eq := paywarden.EventQuery{Status: paywarden.EventStatus(d.Status), Type: d.Type, ObjectID: d.Object,
		StartingAfter: q.Get("after"), Limit: pageSize + 1}
	var err error
	if eq.ReceivedFrom, err = parseDay(d.From, "from"); err != nil {
		u.fail(w, r, err)
		return
	}
	if eq.ReceivedTo, err = parseDay(d.To, "to"); err != nil {
		u.fail(w, r, err)
		return
	}
	if !eq.ReceivedTo.IsZero() {
		eq.ReceivedTo = eq.ReceivedTo.AddDate(0, 0, 1) // the whole "to" day
	}
	es, err := u.o.Store.SearchEvents(r.Context(), eq)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if len(es) > pageSize {
		es = es[:pageSize]
		next := url.Values{}
		for k, v := range map[string]string{"status": d.Status, "type": d.Type, "object": d.Object,
			"from": d.From, "to": d.To, "after": es[len(es)-1].ID} {
			if v != "" {
				next.Set(k, v)
			}
		}
		// Built from url.Values, so every part is escaped: safe as a URL.
		d.Next = template.URL("/ui/events?" + next.Encode())
	}
	d.Events = es
	p := sessionPage(s, "events", "Events", d)
	if n, err := strconv.Atoi(q.Get("replayed")); err == nil && d.Type != "" {
		// A fixed sentence, not text from the URL, so a link cannot put
		// words on the page.
		p.Notice = "Replayed " + strconv.Itoa(n) + " dead " + d.Type + " events: they were set back to pending."
	}
	u.render(w, r, http.StatusOK, "events", p)
}

// parseDay reads a YYYY-MM-DD date as midnight UTC; "" is the zero time.
func parseDay(s, param string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, &paywarden.Error{Code: paywarden.EINVALID, Message: param + ": want a date as YYYY-MM-DD", Param: param}
	}
	return t, nil
}

type eventData struct {
	Event   *paywarden.Event
	Payload string // redacted, indented
	Object  *paywarden.MirrorObject
	ObjData string // redacted, indented
}

// event shows one event: its payload with secrets redacted as the logs
// redact them, its attempts and last error, and the mirror object it
// touched.
func (u *UI) event(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	ctx := r.Context()
	e, err := u.o.Store.Event(ctx, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := &eventData{Event: e, Payload: u.redacted(e.Payload)}
	if e.ObjectType != "" && e.ObjectID != "" {
		obj, err := u.o.Store.Object(ctx, e.ObjectType, e.ObjectID)
		switch {
		case err == nil:
			d.Object, d.ObjData = obj, u.redacted(obj.Data)
		case paywarden.ErrorCode(err) != paywarden.ENOTFOUND:
			u.fail(w, r, err)
			return
		}
	}
	p := sessionPage(s, "events", "Event "+e.ID, d)
	if r.URL.Query().Get("replayed") == "1" {
		p.Notice = "Replayed: the event was set back to pending, and the workers process it again."
	}
	u.render(w, r, http.StatusOK, "event", p)
}

// redacted indents JSON for reading and scrubs it with the log redactor.
func (u *UI) redacted(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		buf.Reset()
		buf.Write(b)
	}
	return u.o.Redactor.String(buf.String())
}

// replayEvent sets one event back to pending.
func (u *UI) replayEvent(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	id := r.PathValue("id")
	if err := u.o.Store.ReplayEvent(r.Context(), id); err != nil {
		u.fail(w, r, err)
		return
	}
	u.o.Logger.InfoContext(r.Context(), "event replayed from the dashboard", "event", id, "token_id", s.TokenID)
	http.Redirect(w, r, "/ui/events/"+url.PathEscape(id)+"?replayed=1", http.StatusSeeOther)
}

// replayType sets every dead event of one type back to pending.
func (u *UI) replayType(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	typ := strings.TrimSpace(r.PostFormValue("type"))
	n, err := u.o.Store.ReplayEventsOfType(r.Context(), paywarden.EventDead, typ)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.o.Logger.InfoContext(r.Context(), "dead events replayed from the dashboard", "type", typ, "count", n, "token_id", s.TokenID)
	http.Redirect(w, r, "/ui/events?"+url.Values{"type": {typ}, "replayed": {strconv.Itoa(n)}}.Encode(), http.StatusSeeOther)
}

type postureData struct {
	Available bool
	Checks    []Check
	Counts    map[string]int
}

// posture shows the doctor's checks with their advice.
func (u *UI) posture(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	d := &postureData{Available: u.o.Posture != nil, Counts: map[string]int{}}
	if d.Available {
		checks, err := u.o.Posture(r.Context())
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d.Checks = checks
		for _, c := range checks {
			d.Counts[c.Status]++
		}
	}
	u.render(w, r, http.StatusOK, "posture", sessionPage(s, "posture", "Posture", d))
}

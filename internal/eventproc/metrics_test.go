package eventproc

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
)

// TestEventsCollector counts a real store's events by status at scrape time.
func TestEventsCollector(t *testing.T) {
	db := openStore(t, &clock{now: t0})
	ctx := context.Background()
	q := customerEvent("evt_q", t0, "q@example.com")
	q.Status = paywarden.EventQuarantined
	if _, err := db.InsertEvents(ctx, []*paywarden.Event{
		customerEvent("evt_1", t0, "a@example.com"), chargeEvent("evt_2", t0, 100), q}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewEventsCollector(db))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "paywarden_events" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{"pending": 2, "processed": 0, "failed": 0, "dead": 0, "quarantined": 1}
	for s, n := range want {
		if v, ok := got[s]; !ok || v != n {
			t.Errorf("paywarden_events{status=%q}: got %v (present %t), want %v", s, v, ok, n)
		}
	}
}

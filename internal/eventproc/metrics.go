package eventproc

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
)

// Metrics are the workers' Prometheus metrics.
type Metrics struct {
	processed *prometheus.CounterVec
	seconds   prometheus.Histogram
	lag       prometheus.Histogram
	fetches   prometheus.Counter
}

func newMetrics() *Metrics {
	return &Metrics{
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paywarden_events_processed_total", Help: "Event processing attempts, by result (processed, failed, dead)."},
			[]string{"result"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "paywarden_event_processing_seconds", Help: "Time to process one event.",
			Buckets: prometheus.ExponentialBuckets(.0005, 2.5, 12)}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "paywarden_event_lag_seconds", Help: "Time from receipt to processed.",
			Buckets: prometheus.ExponentialBuckets(.001, 3, 14)}),
		fetches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paywarden_event_refetches_total", Help: "Objects re-read from Stripe while processing events."}),
	}
}

// NewMetrics registers the workers' metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := newMetrics()
	reg.MustRegister(m.processed, m.seconds, m.lag, m.fetches)
	return m
}

// eventsCollector reports the number of stored events in each status.
type eventsCollector struct {
	st   paywarden.EventStore
	desc *prometheus.Desc
}

// NewEventsCollector returns a collector of paywarden_events: the stored
// events in each status, counted by the store at every scrape.
func NewEventsCollector(st paywarden.EventStore) prometheus.Collector {
	return &eventsCollector{st: st, desc: prometheus.NewDesc("paywarden_events",
		"Stored webhook events by status (dead and quarantined need an operator).", []string{"status"}, nil)}
}

func (c *eventsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *eventsCollector) Collect(ch chan<- prometheus.Metric) {
	// A scrape has no context of its own; bound the count so a stuck
	// database cannot hold the scrape.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.st.CountEvents(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range []paywarden.EventStatus{paywarden.EventPending, paywarden.EventProcessed,
		paywarden.EventFailed, paywarden.EventDead, paywarden.EventQuarantined} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}

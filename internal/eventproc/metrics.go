package eventproc

import "github.com/prometheus/client_golang/prometheus"

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

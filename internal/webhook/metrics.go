package webhook

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the receiver's Prometheus metrics.
type Metrics struct {
	received    prometheus.Counter
	accepted    prometheus.Counter
	rejected    *prometheus.CounterVec
	duplicates  prometheus.Counter
	quarantined prometheus.Counter
	ackSeconds  prometheus.Histogram
}

// NewMetrics registers the receiver's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paywarden_webhook_received_total", Help: "Webhook requests received."}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paywarden_webhook_accepted_total", Help: "Webhook events verified and stored (duplicates included)."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paywarden_webhook_rejected_total", Help: "Webhook requests refused, by reason."}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paywarden_webhook_duplicates_total", Help: "Webhook events already stored, absorbed."}),
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paywarden_webhook_quarantined_total", Help: "Webhook events stored as quarantined: another API version."}),
		ackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "paywarden_webhook_ack_seconds", Help: "Time from request to durable acknowledgement.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}}),
	}
	reg.MustRegister(m.received, m.accepted, m.rejected, m.duplicates, m.quarantined, m.ackSeconds)
	return m
}

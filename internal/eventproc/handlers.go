package eventproc

// handlers registers every handler the workers run on an event, as the
// api package's routes.go lists every route. Mirroring is not a handler:
// an event whose object is of a paywarden.MirroredTypes type is mirrored
// before these run, in the same transaction that completes it.
func (p *Processor) handlers() {
	// Deliveries to internal subscribers: every event, filtered by each
	// subscriber's types.
	if len(p.o.Subscribers) > 0 {
		p.Handle("*", Deliverer(p.o.Subscribers, p.o.Client, p.o.Registerer, p.o.Now))
	}
}

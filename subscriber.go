package paywarden

import "strings"

// Subscriber is an internal service that receives verified events: the
// configuration reads it, the workers deliver to it.
type Subscriber struct {
	Name   string
	URL    string
	Types  []string // event types or prefix patterns such as "invoice.*"; "*" is every type
	Secret Secret   // signs each delivery, in Stripe's scheme
}

// Wants reports whether s subscribes to events of type typ.
func (s Subscriber) Wants(typ string) bool {
	for _, t := range s.Types {
		if t == "*" || t == typ {
			return true
		}
		if p, ok := strings.CutSuffix(t, "*"); ok && strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}

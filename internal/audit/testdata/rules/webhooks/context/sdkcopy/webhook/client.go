package webhook

import "github.com/stripe/stripe-go/v85"

// Options is the shape of the SDK's verification options.
type Options struct {
	IgnoreTolerance bool
	Tolerance       int64
}

// ConstructEventIgnoringTolerance is the SDK's own definition: defining
// the helper is not using it.
func ConstructEventIgnoringTolerance(payload []byte, header, secret string) (stripe.Event, error) {
	return construct(payload, header, secret, Options{IgnoreTolerance: true})
}

// ValidatePayloadIgnoringTolerance is defined the same way.
func ValidatePayloadIgnoringTolerance(payload []byte, header, secret string) error {
	_, err := construct(payload, header, secret, Options{IgnoreTolerance: true})
	return err
}

func construct(payload []byte, header, secret string, o Options) (stripe.Event, error) {
	_, _, _, _ = payload, header, secret, o
	return stripe.Event{}, nil
}

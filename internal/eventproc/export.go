package eventproc

import "github.com/paywarden/paywarden"

// Extract builds the mirror record of a Stripe object from its JSON, with
// the fields reports need pulled out exactly as the workers do, so that an
// object backfilled by `paywarden sync` reads the same as one a webhook
// brought. Type, ID and the extracted fields are set; Version, Fetched and
// EventID are the caller's.
func Extract(raw []byte) (*paywarden.MirrorObject, error) { return extract(raw) }

package report

import (
	"time"

	"github.com/paywarden/paywarden"
)

// Params are a report's parameters as a user gives them, on the command
// line or in a query string; every one may be empty.
type Params struct {
	From, To string // a date (midnight UTC) or an RFC 3339 time; From inclusive, To exclusive
	// At is the subscriptions report's moment: the end of its range. It
	// and To exclude each other.
	At       string
	Interval string // day, week or month
	Currency string // ISO 4217, any case
}

// Options resolves p for report kind (Revenue, Subscriptions or Payouts)
// at time now. Defaults: To is At or now; the interval is month (day for
// payouts); From is, for subscriptions, the start of the period that ends
// at To (month to date), and otherwise eleven periods before that, making
// twelve. EINVALID, naming the parameter at fault.
func (p Params) Options(kind string, now time.Time) (Options, error) {
	var (
		o   Options
		err error
	)
	iv := p.Interval
	if iv == "" {
		iv = string(Month)
		if kind == Payouts {
			iv = string(Day)
		}
	}
	if o.Interval, err = ParseInterval(iv); err != nil {
		return o, param(err, "interval")
	}
	switch {
	case p.At != "" && kind != Subscriptions:
		return o, param(paywarden.Errorf(paywarden.EINVALID, "at applies to the subscriptions report only"), "at")
	case p.At != "" && p.To != "":
		return o, param(paywarden.Errorf(paywarden.EINVALID, "give at or to, not both"), "at")
	case p.At != "":
		if o.To, err = ParseTime(p.At); err != nil {
			return o, param(err, "at")
		}
	case p.To != "":
		if o.To, err = ParseTime(p.To); err != nil {
			return o, param(err, "to")
		}
	default:
		o.To = now.UTC().Truncate(time.Second)
	}
	if p.From != "" {
		if o.From, err = ParseTime(p.From); err != nil {
			return o, param(err, "from")
		}
	} else {
		o.From = truncate(o.To.Add(-time.Nanosecond), o.Interval)
		if kind != Subscriptions {
			for range 11 {
				o.From = prev(o.From, o.Interval)
			}
		}
	}
	if p.Currency != "" {
		if o.Currency, err = parseCurrency(p.Currency); err != nil {
			return o, param(err, "currency")
		}
	}
	if err := o.Validate(); err != nil {
		return o, param(err, "from")
	}
	return o, nil
}

// parseCurrency reads a three-letter currency code, lower-cased as Stripe
// writes it.
func parseCurrency(s string) (string, error) {
	if len(s) != 3 {
		return "", paywarden.Errorf(paywarden.EINVALID, "currency must be a three-letter ISO 4217 code such as usd")
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		default:
			return "", paywarden.Errorf(paywarden.EINVALID, "currency must be a three-letter ISO 4217 code such as usd")
		}
	}
	return string(b), nil
}

func param(err error, name string) error {
	if e, ok := err.(*paywarden.Error); ok && e.Param == "" {
		e.Param = name
	}
	return err
}

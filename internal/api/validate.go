package api

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paywarden/paywarden"
)

// Stripe's limits (https://docs.stripe.com/currencies, /metadata).
const (
	// MaxAmount is the largest amount Stripe accepts: eight digits.
	MaxAmount = 99_999_999
	// DefaultMinAmount is the minimum for a currency not in minAmounts,
	// in its minor unit; Stripe refuses what is still too small.
	DefaultMinAmount = 50

	MaxMetadataKeys     = 50
	MaxMetadataKeyLen   = 40
	MaxMetadataValueLen = 500
	MaxDescriptionLen   = 1000
	MaxNameLen          = 256
	MaxEmailLen         = 512
	MaxTrialPeriodDays  = 730
	MaxQuantity         = 1_000_000
)

// currencies are the ISO 4217 codes of currencies (funds, metals and
// testing codes left out), lower-case as Stripe writes them.
var currencies = setOf(`aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob
	brl bsd btn bwp byn bzd cad cdf chf clp cny cop crc cuc cup cve czk djf dkk dop dzd egp ern etb eur
	fjd fkp gbp gel ghs gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs
	khr kmf kpw krw kwd kyd kzt lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn
	myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg
	sek sgd shp sle sll sos srd ssp std stn svc syp szl thb tjs tmt tnd top try ttd twd tzs uah ugx usd
	uyu uzs ved ves vnd vuv wst xaf xcd xcg xof xpf yer zar zmw zwg zwl`)

// zeroDecimal currencies have no minor unit: an amount of 500 jpy is ¥500.
var zeroDecimal = setOf(`bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf`)

// threeDecimal currencies count thousandths; Stripe requires their amounts
// to be multiples of 10.
var threeDecimal = setOf(`bhd jod kwd omr tnd`)

// minAmounts are Stripe's minimum charge amounts, in minor units (for a
// zero-decimal currency, in whole units).
var minAmounts = map[string]int64{
	"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
	"czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
	"jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
	"sek": 300, "sgd": 50, "thb": 1000,
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

func invalid(param, format string, args ...any) error {
	return &paywarden.Error{Code: paywarden.EINVALID, Param: param, Message: fmt.Sprintf(format, args...)}
}

// validCurrency returns the lower-case ISO 4217 code.
func validCurrency(param, c string) (string, error) {
	if c == "" {
		return "", invalid(param, "%s is required.", param)
	}
	lc := strings.ToLower(c)
	if !currencies[lc] {
		return "", invalid(param, "%s must be an ISO 4217 currency code such as usd.", param)
	}
	return lc, nil
}

// MinAmount returns Stripe's minimum charge for currency, in minor units.
func MinAmount(currency string) int64 {
	if m, ok := minAmounts[currency]; ok {
		return m
	}
	return DefaultMinAmount
}

// validAmount checks a charge amount in minor units of currency ("" when
// the currency is not known here, as for a refund or a capture).
func validAmount(param string, amount int64, currency string) error {
	if amount <= 0 {
		return invalid(param, "%s must be a positive integer in the currency's smallest unit.", param)
	}
	if amount > MaxAmount {
		return invalid(param, "%s must be at most %d.", param, MaxAmount)
	}
	if currency == "" {
		return nil
	}
	if m := MinAmount(currency); amount < m {
		unit := "in its smallest unit"
		if zeroDecimal[currency] {
			unit = "in whole units: it has no minor unit"
		}
		return invalid(param, "%s must be at least %d for %s (%s).", param, m, currency, unit)
	}
	if threeDecimal[currency] && amount%10 != 0 {
		return invalid(param, "%s must be a multiple of 10 for %s.", param, currency)
	}
	return nil
}

// validMetadata applies Stripe's metadata limits.
func validMetadata(m map[string]string) error {
	if len(m) > MaxMetadataKeys {
		return invalid("metadata", "metadata may have at most %d keys.", MaxMetadataKeys)
	}
	for k, v := range m {
		if k == "" || utf8.RuneCountInString(k) > MaxMetadataKeyLen {
			return invalid("metadata", "metadata keys must be 1 to %d characters.", MaxMetadataKeyLen)
		}
		if strings.ContainsAny(k, "[]") {
			return invalid("metadata", "metadata keys must not contain square brackets.")
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return invalid("metadata", "metadata must be valid UTF-8.")
		}
		if utf8.RuneCountInString(v) > MaxMetadataValueLen {
			return invalid("metadata", "metadata values must be at most %d characters.", MaxMetadataValueLen)
		}
	}
	return nil
}

// validID checks a Stripe id: the prefix, then letters, digits and
// underscores. It allows "" only when optional.
func validID(param, id, prefix string, optional bool) error {
	if id == "" {
		if optional {
			return nil
		}
		return invalid(param, "%s is required.", param)
	}
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" || len(id) > 255 {
		return invalid(param, "%s must be a Stripe id starting with %s.", param, prefix)
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return invalid(param, "%s must be a Stripe id starting with %s.", param, prefix)
		}
	}
	return nil
}

// validText checks an optional free-text field.
func validText(param, s string, maxLen int) error {
	if !utf8.ValidString(s) {
		return invalid(param, "%s must be valid UTF-8.", param)
	}
	if utf8.RuneCountInString(s) > maxLen {
		return invalid(param, "%s must be at most %d characters.", param, maxLen)
	}
	return nil
}

// validEnum checks an optional value against the allowed ones.
func validEnum(param, v string, allowed ...string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return invalid(param, "%s must be one of %s.", param, strings.Join(allowed, ", "))
}

func validEmail(param, s string) error {
	if s == "" {
		return invalid(param, "%s is required.", param)
	}
	if len(s) > MaxEmailLen {
		return invalid(param, "%s must be at most %d characters.", param, MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return invalid(param, "%s must be an email address.", param)
	}
	return nil
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

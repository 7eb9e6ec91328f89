// Package stripesig signs and verifies payloads in Stripe's webhook
// signature scheme (the Stripe-Signature header: t=<seconds>,v1=<HMAC-SHA256
// hex>). The receiver verifies Stripe's webhooks with it and the workers sign
// deliveries to subscribers with it, so that any Stripe SDK verifies them.
//
// It owns the header format and the HMAC only: it must not read requests,
// decode events or know endpoints and stores.
package stripesig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// Reasons a header fails. The receiver labels its rejected counter with them.
var (
	ErrNoHeader      = errors.New("missing Stripe-Signature header")
	ErrBadHeader     = errors.New("malformed Stripe-Signature header")
	ErrNoV1          = errors.New("no v1 signature in Stripe-Signature header")
	ErrNoSecret      = errors.New("no active webhook secret for this endpoint")
	ErrBadSignature  = errors.New("no signature matches an active secret")
	ErrTooOld        = errors.New("signature timestamp is older than the tolerance")
	ErrInFuture      = errors.New("signature timestamp is further in the future than the tolerance")
	errHeaderTooLong = errors.New("Stripe-Signature header too long")
)

// maxHeaderLen bounds the work a forged header can cause. Stripe's headers
// carry a timestamp and a few signatures: a few hundred bytes.
const maxHeaderLen = 4096

// maxSignatures bounds how many v1 signatures are tried against each secret.
const maxSignatures = 8

// Header is a parsed Stripe-Signature header.
type Header struct {
	Timestamp int64
	V1        [][]byte // each a 32-byte HMAC-SHA256
}

// ParseHeader parses a Stripe-Signature header strictly: comma-separated
// key=value pairs, exactly one t (decimal seconds), at least one v1 (64 hex
// digits). Other schemes, such as v0, are ignored, as Stripe asks; anything
// malformed is refused rather than skipped.
func ParseHeader(h string) (Header, error) {
	var hd Header
	if h == "" {
		return hd, ErrNoHeader
	}
	if len(h) > maxHeaderLen {
		return hd, errHeaderTooLong
	}
	seenT := false
	for pair := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" || v == "" {
			return Header{}, ErrBadHeader
		}
		switch k {
		case "t":
			if seenT || !isDigits(v) || len(v) > 12 {
				return Header{}, ErrBadHeader
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return Header{}, ErrBadHeader
			}
			hd.Timestamp, seenT = n, true
		case "v1":
			if len(v) != 2*sha256.Size {
				return Header{}, ErrBadHeader
			}
			sig, err := hex.DecodeString(v)
			if err != nil {
				return Header{}, ErrBadHeader
			}
			if len(hd.V1) == maxSignatures {
				return Header{}, ErrBadHeader
			}
			hd.V1 = append(hd.V1, sig)
		default:
			// Other schemes (v0, future ones) are ignored but must still
			// be well-formed key=value pairs, checked above.
			if !isToken(k) {
				return Header{}, ErrBadHeader
			}
		}
	}
	if !seenT {
		return Header{}, ErrBadHeader
	}
	if len(hd.V1) == 0 {
		return Header{}, ErrNoV1
	}
	return hd, nil
}

// Verify checks that one of the header's v1 signatures is the HMAC-SHA256,
// under one of secrets, of "t.payload", and that |now − t| ≤ tolerance in
// both directions. Unlike stripe-go it refuses an empty secret list and
// timestamps from the future.
func Verify(payload []byte, hd Header, secrets []paywarden.Secret, now time.Time, tolerance time.Duration) error {
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	matched := false
	ts := strconv.AppendInt(nil, hd.Timestamp, 10)
	expected := make([]byte, 0, sha256.Size)
	for _, s := range secrets {
		if s.IsZero() {
			continue
		}
		mac := hmac.New(sha256.New, []byte(s.Reveal()))
		mac.Write(ts)
		mac.Write([]byte{'.'})
		mac.Write(payload)
		expected = mac.Sum(expected[:0])
		for _, sig := range hd.V1 {
			// Every comparison runs, so timing tells nothing of which
			// secret or signature matched.
			if hmac.Equal(expected, sig) {
				matched = true
			}
		}
	}
	if !matched {
		return ErrBadSignature
	}
	age := now.Sub(time.Unix(hd.Timestamp, 0))
	switch {
	case age > tolerance:
		return ErrTooOld
	case age < -tolerance:
		return ErrInFuture
	}
	return nil
}

// Sign returns a Stripe-Signature header value for payload, signed with
// secret at time t. Tests, the load generator and subscriber deliveries use it.
func Sign(payload []byte, secret paywarden.Secret, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret.Reveal()))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(payload)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

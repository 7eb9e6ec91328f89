package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// nouns names the object each call acts on, for "not found" messages.
var nouns = map[string]string{
	"CreatePaymentIntent": "payment", "GetPaymentIntent": "payment",
	"CapturePaymentIntent": "payment", "CancelPaymentIntent": "payment",
	"CreateRefund": "payment", "CreateCustomer": "customer", "GetCustomer": "customer",
	"CreateSubscription": "subscription", "GetSubscription": "subscription",
	"ListSubscriptions": "subscription", "UpdateSubscription": "subscription",
	"CancelSubscription": "subscription", "Verify": "object", "Fetch": "object",
}

// permissionRE finds the restricted-key permission named in a 403 message,
// e.g. "Having the 'rak_payment_intent_write' permission would allow...".
// Only the permission name is kept: the message also names the key.
var permissionRE = regexp.MustCompile(`\brak_[a-z0-9_]{1,64}\b`)

// safeRE keeps only characters that parameter names and error codes use,
// so that nothing else from Stripe's answer can ride along.
var safeRE = regexp.MustCompile(`[^A-Za-z0-9_\[\].]`)

func safe(s string) string {
	s = safeRE.ReplaceAllString(s, "")
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// classify turns the last failed attempt of a call into a *paywarden.Error
// whose Message is safe for a caller and whose Err is safe for a log: it
// holds the status, type, code and parameter, never Stripe's message, a
// response body or a key.
func (c *Client) classify(ctx context.Context, op, capability string, key paywarden.Secret, a *attempt, err error, attempts int) error {
	var pe *paywarden.Error
	if errors.As(err, &pe) {
		return err
	}
	rid := a.header.Get("Request-Id")
	var se *stripe.Error
	isStripe := errors.As(err, &se)
	if isStripe && rid == "" {
		rid = se.RequestID
	}
	status := a.status
	if status == 0 && isStripe {
		status = se.HTTPStatusCode
	}
	e := &paywarden.Error{StripeRequestID: safe(rid)}
	var typ, code, param string
	if isStripe {
		typ, code, param = safe(string(se.Type)), safe(string(se.Code)), safe(se.Param)
	}
	e.Err = fmt.Errorf("stripe %s: status %d type %q code %q param %q after %d attempt(s)", op, status, typ, code, param, attempts)

	// Verify checks a candidate key, not a configured one, and a Probe
	// expects refusals: their failures are the caller's to report, not an
	// alert about the running configuration.
	alert := op != "Verify" && op != "Probe"
	noun := nouns[op]
	if noun == "" {
		noun = "object"
	}
	switch {
	case ctx.Err() != nil && (status == 0 || errors.Is(err, ctx.Err())):
		e.Code, e.Message = paywarden.ESTRIPEUNAVAILABLE, "Stripe did not answer in time."
		e.Err = fmt.Errorf("stripe %s: %w after %d attempt(s)", op, ctx.Err(), attempts)
	case status == 0 && a.transport != nil:
		e.Code, e.Message = paywarden.ESTRIPEUNAVAILABLE, "Stripe could not be reached; try again later."
		e.Err = fmt.Errorf("stripe %s: %w after %d attempt(s)", op, transportCause(a.transport), attempts)
	case status == 0:
		// The SDK refused to build the request; its message is ours, not
		// Stripe's, but keep it out anyway.
		e.Code, e.Message = paywarden.EINTERNAL, "Internal error."
		e.Err = fmt.Errorf("stripe %s: the SDK refused the request", op)
	case status < 300:
		e.Code, e.Message = paywarden.ESTRIPEUNAVAILABLE, "Stripe sent an answer paywarden could not read."
		e.Err = fmt.Errorf("stripe %s: status %d with an undecodable body", op, status)
	case status == http.StatusPaymentRequired || typ == string(stripe.ErrorTypeCard):
		e.Code, e.Message = paywarden.ECARDDECLINED, "Your card was declined."
		if isStripe {
			e.DeclineCode = safe(string(se.DeclineCode))
			if se.Msg != "" {
				// A card error's message is written for the customer.
				e.Message = se.Msg
			}
		}
	case status == http.StatusUnauthorized:
		e.Code = paywarden.ESTRIPEMISCONFIGURED
		e.Message = "Stripe rejected paywarden's API key; an operator must fix paywarden's configuration."
		if !alert {
			break
		}
		c.logger.ErrorContext(ctx, "stripe rejected the API key", "alert", "stripe_key_rejected",
			"op", op, "capability", capability, "key_fingerprint", key.Fingerprint(), "stripe_request_id", e.StripeRequestID)
	case status == http.StatusForbidden:
		c.lacksPermission(ctx, e, se, op, capability, key, alert)
	case status == http.StatusNotFound:
		e.Code, e.Message = paywarden.ENOTFOUND, fmt.Sprintf("No such %s.", noun)
	case status == http.StatusTooManyRequests:
		e.Code, e.Message = paywarden.ERATELIMITED, "Stripe is rate limiting paywarden; try again shortly."
		e.RetryAfter = max(retryAfter(a.header), time.Second)
	case typ == string(stripe.ErrorTypeIdempotency):
		e.Code, e.Message = paywarden.EIDEMPOTENCY, "Stripe saw this idempotency key with a different request."
	case status == http.StatusConflict:
		e.Code, e.Message = paywarden.ESTRIPEUNAVAILABLE, "Stripe is still processing a request with this idempotency key; try again shortly."
		e.RetryAfter = max(retryAfter(a.header), time.Second)
	case status >= 500:
		e.Code, e.Message = paywarden.ESTRIPEUNAVAILABLE, "Stripe is unavailable; try again later."
		e.RetryAfter = retryAfter(a.header)
	case status == http.StatusBadRequest && isStripe:
		e.Code, e.Param, e.Message = paywarden.EINVALID, param, refusedMessage(code, param)
	default:
		e.Code, e.Message = paywarden.ESTRIPEUNAVAILABLE, "Stripe answered unexpectedly; try again later."
	}
	return e
}

// transportCause drops the URL from a transport error and keeps its cause.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// refusedMessage is the caller's message for a 400 of Stripe's: the
// parameter and code only, never Stripe's own text.
func refusedMessage(code, param string) string {
	switch {
	case code == string(stripe.ErrorCodeResourceMissing) && param != "":
		return fmt.Sprintf("Stripe has no object for parameter %s.", param)
	case param != "" && code != "":
		return fmt.Sprintf("Stripe refused parameter %s (%s).", param, code)
	case param != "":
		return fmt.Sprintf("Stripe refused parameter %s.", param)
	case code != "":
		return fmt.Sprintf("Stripe refused the request (%s).", code)
	}
	return "Stripe refused the request."
}

// lacksPermission fills e for a 403: the key of capability lacks a
// permission, named when Stripe's message names it; with alert, operators
// are told in the log.
func (c *Client) lacksPermission(ctx context.Context, e *paywarden.Error, se *stripe.Error, op, capability string,
	key paywarden.Secret, alert bool) {
	perm := ""
	if se != nil {
		perm = permissionRE.FindString(se.Msg)
	}
	e.Code = paywarden.ESTRIPEMISCONFIGURED
	if perm != "" {
		e.Message = fmt.Sprintf("paywarden's Stripe key for %s lacks the permission %s.", capability, perm)
	} else {
		e.Message = fmt.Sprintf("paywarden's Stripe key for %s lacks a permission this request needs.", capability)
	}
	e.Err = fmt.Errorf("%w (permission %q)", e.Err, perm)
	if !alert {
		return
	}
	c.logger.ErrorContext(ctx, "stripe key lacks a permission", "alert", "stripe_key_permission",
		"op", op, "capability", capability, "permission", perm, "key_fingerprint", key.Fingerprint(),
		"stripe_request_id", e.StripeRequestID)
}

package api

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/paywarden/paywarden"
)

// statuses maps every error code to its HTTP status: the one table.
var statuses = map[string]int{
	paywarden.ECARDDECLINED:        http.StatusPaymentRequired,
	paywarden.EINVALID:             http.StatusBadRequest,
	paywarden.EUNAUTHORIZED:        http.StatusUnauthorized,
	paywarden.EFORBIDDEN:           http.StatusForbidden,
	paywarden.ENOTFOUND:            http.StatusNotFound,
	paywarden.EIDEMPOTENCY:         http.StatusConflict,
	paywarden.ERATELIMITED:         http.StatusServiceUnavailable,
	paywarden.ESTRIPEUNAVAILABLE:   http.StatusBadGateway,
	paywarden.ESTRIPEMISCONFIGURED: http.StatusBadGateway,
	paywarden.ETOOLARGE:            http.StatusRequestEntityTooLarge,
	paywarden.EUNAVAILABLE:         http.StatusServiceUnavailable,
	paywarden.EINTERNAL:            http.StatusInternalServerError,
}

// titles are the problem documents' fixed titles.
var titles = map[string]string{
	paywarden.ECARDDECLINED:        "Card declined",
	paywarden.EINVALID:             "Invalid request",
	paywarden.EUNAUTHORIZED:        "Unauthorized",
	paywarden.EFORBIDDEN:           "Forbidden",
	paywarden.ENOTFOUND:            "Not found",
	paywarden.EIDEMPOTENCY:         "Idempotency conflict",
	paywarden.ERATELIMITED:         "Rate limited",
	paywarden.ESTRIPEUNAVAILABLE:   "Stripe unavailable",
	paywarden.ESTRIPEMISCONFIGURED: "Stripe misconfigured",
	paywarden.ETOOLARGE:            "Payload too large",
	paywarden.EUNAVAILABLE:         "Unavailable",
	paywarden.EINTERNAL:            "Internal error",
}

// ErrorStatus returns the HTTP status of err's code; 500 for an unknown one.
func ErrorStatus(err error) int {
	if s, ok := statuses[paywarden.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Detail      string `json:"detail"`
	RequestID   string `json:"request_id"`
	Param       string `json:"param,omitempty"`
	DeclineCode string `json:"decline_code,omitempty"`
}

// writeError answers with err's problem document. Only the code and the
// safe message of a *paywarden.Error reach the caller; anything else is
// "internal" with "Internal error.".
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ri := infoOf(w)
	ri.err = err
	code := paywarden.ErrorCode(err)
	if _, ok := statuses[code]; !ok {
		code = paywarden.EINTERNAL
	}
	p := Problem{
		Type:      code,
		Title:     titles[code],
		Status:    statuses[code],
		Detail:    paywarden.ErrorMessage(err),
		RequestID: ri.id,
	}
	var pe *paywarden.Error
	if errors.As(err, &pe) {
		p.Param = pe.Param
		if code == paywarden.ECARDDECLINED {
			p.DeclineCode = pe.DeclineCode
		}
		if pe.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(pe.RetryAfter.Seconds()))))
			if code == paywarden.ESTRIPEUNAVAILABLE {
				// Stripe said when to come back: the outage is temporary.
				p.Status = http.StatusServiceUnavailable
			}
		} else if code == paywarden.ERATELIMITED {
			w.Header().Set("Retry-After", "1")
		}
	}
	if code == paywarden.EINTERNAL {
		p.Detail = "Internal error."
	}
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeRaw(w, status, append(body, '\n'))
	return nil
}

// writeRaw answers with a JSON body that is already encoded: a problem
// document for an error status.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	ct := "application/json"
	if status >= 400 {
		ct = "application/problem+json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/jsonstrict"
)

// decode reads the request body as one JSON object into v, refusing
// unknown fields, values of the wrong type, trailing data and bodies over
// the cap. An empty body leaves v as it is when optional.
func (a *API) decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return paywarden.Errorf(paywarden.EINVALID, "A JSON body is required.")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &paywarden.Error{Code: paywarden.EINVALID, Param: "Content-Type", Message: "The body must be application/json."}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return paywarden.Errorf(paywarden.EINVALID, "The body must be exactly one JSON object.")
	}
	// encoding/json took the last of a repeated member and matched AMOUNT
	// to amount; a proxy or log reader may have seen another value. Refuse
	// what parsers read differently.
	if err := jsonstrict.Check(body); err != nil {
		return paywarden.Errorf(paywarden.EINVALID, "The body repeats a member name, or gives it in two cases.")
	}
	return nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return paywarden.Errorf(paywarden.ETOOLARGE, "The body is larger than %d bytes.", mbe.Limit)
	}
	return &paywarden.Error{Code: paywarden.EINVALID, Message: "The body could not be read.", Err: err}
}

// jsonError turns a decoding error into a message that names the field.
func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return paywarden.Errorf(paywarden.EINVALID, "The body is not valid JSON.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return paywarden.Errorf(paywarden.EINVALID, "The body must be a JSON object.")
		}
		if typ.Field == "metadata" {
			return &paywarden.Error{Code: paywarden.EINVALID, Param: typ.Field, Message: "metadata must be an object of string values."}
		}
		return &paywarden.Error{Code: paywarden.EINVALID, Param: typ.Field,
			Message: fmt.Sprintf("%s must be %s.", typ.Field, kindName(typ.Type))}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &paywarden.Error{Code: paywarden.EINVALID, Param: name, Message: fmt.Sprintf("Unknown field %q.", name)}
	}
	return &paywarden.Error{Code: paywarden.EINVALID, Message: "The body could not be decoded.", Err: err}
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Map:
		return "an object of strings"
	}
	return "of another type"
}

// query checks that q holds only the allowed parameters, each once.
func query(q url.Values, allowed ...string) error {
	for k, v := range q {
		if !slices.Contains(allowed, k) {
			return &paywarden.Error{Code: paywarden.EINVALID, Param: k, Message: fmt.Sprintf("Unknown query parameter %q.", k)}
		}
		if len(v) > 1 {
			return &paywarden.Error{Code: paywarden.EINVALID, Param: k, Message: fmt.Sprintf("Query parameter %s is given more than once.", k)}
		}
	}
	return nil
}

// limit reads the limit query parameter: def when absent, 1..100.
func limit(q url.Values, def int) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		return 0, &paywarden.Error{Code: paywarden.EINVALID, Param: "limit", Message: "limit must be an integer from 1 to 100."}
	}
	return n, nil
}

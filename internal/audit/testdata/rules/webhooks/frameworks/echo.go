package frameworks

import (
	"encoding/json"
	"io"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// EchoHook verifies, but the verification error is overwritten before it
// is ever checked.
func EchoHook(c echo.Context) error {
	payload, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return c.NoContent(http.StatusServiceUnavailable)
	}
	event, err := webhook.ConstructEvent(payload, c.Request().Header.Get("Stripe-Signature"), os.Getenv("STRIPE_WEBHOOK_SECRET")) // want "webhook-error-ignored"
	var invoice stripe.Invoice
	err = json.Unmarshal(event.Data.Raw, &invoice)
	if err != nil {
		return c.NoContent(http.StatusBadRequest)
	}
	return c.JSON(http.StatusOK, map[string]string{"invoice": invoice.ID})
}

// EchoStrict answers a failed verification with success.
func EchoStrict(c echo.Context) error {
	payload, _ := io.ReadAll(c.Request().Body)
	event, err := webhook.ConstructEvent(payload, c.Request().Header.Get("Stripe-Signature"), os.Getenv("STRIPE_WEBHOOK_SECRET"))
	if err != nil { // want "webhook-error-ignored"
		c.Logger().Warn(err)
		return c.JSON(http.StatusOK, map[string]bool{"received": true})
	}
	return c.String(http.StatusOK, string(event.Type))
}

// EchoGood rejects with an HTTP error.
func EchoGood(c echo.Context) error {
	payload, _ := io.ReadAll(c.Request().Body)
	event, err := webhook.ConstructEvent(payload, c.Request().Header.Get("Stripe-Signature"), os.Getenv("STRIPE_WEBHOOK_SECRET"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "invalid signature")
	}
	return c.String(http.StatusOK, string(event.Type))
}

// FiberGood hands the error back, which fiber answers with 500.
func FiberGood(body []byte, sig string) (stripe.Event, error) {
	event, err := webhook.ConstructEvent(body, sig, os.Getenv("STRIPE_WEBHOOK_SECRET"))
	if err != nil {
		return stripe.Event{}, err
	}
	return event, nil
}

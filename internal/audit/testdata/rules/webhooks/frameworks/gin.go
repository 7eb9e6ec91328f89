package frameworks

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/stripe/stripe-go/v85"
)

// GinHook binds the event from JSON and drops the binding error.
func GinHook(c *gin.Context) {
	evt := stripe.Event{}
	_ = c.ShouldBindJSON(&evt) // want "webhook-unverified"
	switch evt.Type {
	case "invoice.paid":
		c.Status(http.StatusOK)
	default:
		c.Status(http.StatusNoContent)
	}
}

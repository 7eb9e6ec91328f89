package frameworks

import (
	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v85"
)

// FiberHook decodes the event with fiber's body parser and never checks
// the Stripe-Signature header.
func FiberHook(c *fiber.Ctx) error {
	var event stripe.Event
	if err := c.BodyParser(&event); err != nil { // want "webhook-unverified"
		return c.SendStatus(fiber.StatusBadRequest)
	}
	if event.Type == "payment_intent.succeeded" {
		return c.SendStatus(fiber.StatusOK)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

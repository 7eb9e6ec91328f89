package main

import (
	"log"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/client"
)

func main() {
	stripe.Key = "sk_live_FAKEn4Pa7Bc3De9Fg1Hi5Jk2Lm8"            // want "secret-in-code"
	sc := client.New("sk_test_FAKEp7Qr1St5Uv8Wx2Yz6Ab9Cm4N", nil) // want "secret-in-code"
	_ = sc
	log.Printf("stripe key %s", stripe.Key)     // want "secret-logged"
	log.Printf("stripe key %s", stripe.Key[:8]) // want "secret-logged"
	log.Printf("stripe key set: %v", stripe.Key != "")
}

#!/bin/sh
curl https://api.stripe.com/v1/charges -u sk_test_FAKEg1Hi5Jk2Lm8No4Pa7Bc3De9F: -d amount=100  # want "secret-test-key"
stripe listen --forward-to localhost:4242/webhook  # prints whsec_deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef  # want "secret-webhook-signing"

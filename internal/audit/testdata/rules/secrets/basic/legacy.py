# Python 2 code must not stop the scan.
import stripe
print "charging", amount
stripe.api_key = 'sk_live_FAKEw5Xy9Za3Bc7De1Fg4Hi8Jk2L'  # want "apiversion-unpinned" "secret-in-code"
try:
    stripe.Charge.create(amount=100)  # Python 2 except syntax below
except stripe.error.CardError, e:
    raise

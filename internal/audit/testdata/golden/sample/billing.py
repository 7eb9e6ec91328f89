import stripe

stripe.api_key = "sk_live_FAKEq8Zr2Lp5Wm9Tx3Vb7Nc4Hd6Jk"


def charge(amount):
    return stripe.PaymentIntent.create(amount=amount, currency="usd")

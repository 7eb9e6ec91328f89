import os
import stripe

stripe.api_key = "sk_live_FAKEq8Zr2Lp5Wm9Tx3Vb7Nc4Hd6Jk"  # want "apiversion-unpinned" "secret-in-code"
fallback = os.environ.get("STRIPE_SECRET_KEY", "sk_live_FAKEm4Np7Qr1St5Uv8Wx2Yz6Ab9C")  # want "secret-fallback"
other = os.getenv("STRIPE_KEY") or 'rk_live_FAKEr3st5ict7dK9yZ2xW4vU6tS8q'  # want "secret-fallback"
endpoint_secret = 'whsec_FAKEw3bh0okS1gn1ngK3yAbCdEfGh12Ij'  # want "webhook-secret-hardcoded"

# The old key was sk_live_FAKEz9Yx8Wv7Ut6Sr5Qp4On3Ml2K, rolled since.  # want "secret-live-key"

# Placeholders and public keys are not secrets:
example = "sk_test_..."
example2 = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"
example3 = "sk_test_your_key_here"
example4 = "whsec_123"
publishable = "pk_live_FAKEq8Zr2Lp5Wm9Tx3Vb7Nc4Hd6Jk"
docs = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"  # want "secret-test-key"
counting = "sk_test_1234567890abcdefghijklmnop"

print(stripe.api_key)  # want "secret-logged"
print("key prefix", stripe.api_key[:7])
print("key start", stripe.api_key[:12])  # want "secret-logged"
print("configured:", bool(stripe.api_key))
print(f"using {os.environ['STRIPE_SECRET_KEY']}")  # want "secret-logged"
print("last four", stripe.api_key[-4:])

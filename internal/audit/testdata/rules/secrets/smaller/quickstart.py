import stripe

stripe.api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"  # want "secret-test-key"
stripe.api_version = "2025-03-31.basil"

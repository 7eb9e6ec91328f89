import stripe

# Test files still report keys, one severity lower.
stripe.api_key = "sk_test_FAKEv4Wx8Yz2Ab6Cd0Ef3Gh7Ij1K"  # want "apiversion-unpinned" "secret-in-code"

module example.com/svc

go 1.22

require (
	github.com/gin-gonic/gin v1.5.0 // want "dep-vulnerable" "dep-vulnerable" "dep-vulnerable"
	github.com/stripe/stripe-go/v72 v72.0.0 // want "dep-stripe-outdated"
	github.com/strlpe/stripe-go/v76 v76.0.0 // want "dep-go-impostor"
	github.com/stripe/stripe-go/v85 v85.0.0
)

replace github.com/stripe/stripe-go/v85 => github.com/evilcorp/stripe-go/v85 v85.0.1 // want "dep-go-impostor" "dep-go-impostor"

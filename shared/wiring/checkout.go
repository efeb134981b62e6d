package wiring

import "github.com/comptoir/comptoir/shared/httpapi"

// CheckoutAPI builds the checkout function: turns a cart into an order.
func CheckoutAPI(d Deps) APIHandler { return serve(httpapi.NewRouter()) }

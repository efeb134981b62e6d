package wiring

import "github.com/comptoir/comptoir/shared/httpapi"

// CartAPI builds the cart function: the buyer's or rep's open cart, priced live.
func CartAPI(d Deps) APIHandler { return serve(httpapi.NewRouter()) }

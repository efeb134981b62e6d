package wiring

import "github.com/comptoir/comptoir/shared/httpapi"

// OrdersAPI builds the orders function: order history, detail, cancellation and export.
func OrdersAPI(d Deps) APIHandler { return serve(httpapi.NewRouter()) }

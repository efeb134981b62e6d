package wiring

import (
	"github.com/comptoir/comptoir/shared/httpapi"
)

// The function below is deployed with its routes so that the whole system
// stands in template.yaml, but its endpoints are not built yet: every
// request gets a 404 problem.

// RepsAPI builds the sales reps function.
func RepsAPI(d Deps) APIHandler { return serve(httpapi.NewRouter()) }

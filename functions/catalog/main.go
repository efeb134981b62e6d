// Command catalog is the catalog Lambda of the HTTP API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.CatalogAPI(wiring.MustLoad("catalog")))
}

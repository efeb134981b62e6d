// Command reps is the reps Lambda of the HTTP API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.RepsAPI(wiring.MustLoad("reps")))
}

// Command vat-threshold is the SQS-triggered vat-threshold Lambda.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.VATThreshold(wiring.MustLoad("vat-threshold")))
}

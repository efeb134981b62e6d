// Command order-export is the SQS-triggered order-export Lambda.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.OrderExport(wiring.MustLoad("order-export")))
}

// Command stock-update is the SQS-triggered stock-update Lambda.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.StockUpdate(wiring.MustLoad("stock-update")))
}

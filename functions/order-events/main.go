// Command order-events is the Lambda that follows the table's DynamoDB
// stream: orders placed and cancelled, stock falls, expired stock holds.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.OrderEvents(wiring.MustLoad("order-events")))
}

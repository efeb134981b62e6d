// Command erp-sync is the SQS-triggered erp-sync Lambda.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.ERPSync(wiring.MustLoad("erp-sync")))
}

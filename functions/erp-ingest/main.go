// Command erp-ingest is the SQS-triggered erp-ingest Lambda.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/comptoir/comptoir/shared/wiring"
)

func main() {
	lambda.Start(wiring.ERPIngest(wiring.MustLoad("erp-ingest")))
}

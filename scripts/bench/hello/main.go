// Command hello is the baseline of the init-time benchmark: the smallest
// aws-lambda-go function, built and started exactly like the project's
// functions so that their init times can be compared with it.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}

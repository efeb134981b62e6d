// Package roundtrip counts the calls a request makes to AWS services, so
// that each response can say how many DynamoDB round trips served it (the
// X-Dynamodb-Calls header, the dynamodb_calls log field) and benchmarks and
// tests can hold the access patterns to their budget.
package roundtrip

import (
	"context"
	"sync/atomic"

	"github.com/aws/smithy-go/middleware"
)

type counter struct{ n atomic.Int64 }

type counterKey struct{}

// WithCounter returns a context that counts the round trips made with it;
// read the count with Calls.
func WithCounter(ctx context.Context) context.Context {
	return context.WithValue(ctx, counterKey{}, &counter{})
}

// Calls returns the number of round trips made with ctx so far: 0 for a
// context without a counter.
func Calls(ctx context.Context) int64 {
	if c, ok := ctx.Value(counterKey{}).(*counter); ok {
		return c.n.Load()
	}
	return 0
}

// CountAttempts is an API option of an AWS SDK client (append it to the
// client's Options.APIOptions) that adds every attempt it sends, retries
// included, to the counter of the call's context.
func CountAttempts(s *middleware.Stack) error {
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("comptoirCountRoundTrips",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if c, ok := ctx.Value(counterKey{}).(*counter); ok {
				c.n.Add(1)
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

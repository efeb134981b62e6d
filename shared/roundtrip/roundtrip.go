// Package roundtrip counts the calls a request makes to AWS services, so
// that each response can say how many DynamoDB round trips served it (the
// X-Dynamodb-Calls header, the dynamodb_calls log field) and benchmarks and
// tests can hold the access patterns to their budget.
//
// A round trip is one operation (a GetItem, a Query, a transaction): what
// the access pattern costs by design. The SDK may send an operation more
// than once when an attempt fails for a transient reason (a connection
// reset, throttling); those attempts are counted apart (Attempts, the
// dynamodb_attempts log field), so that a retry on a busy machine shows in
// the logs without changing what an access pattern is said to cost.
package roundtrip

import (
	"context"
	"sync/atomic"

	"github.com/aws/smithy-go/middleware"
)

type counter struct{ operations, attempts atomic.Int64 }

type counterKey struct{}

// WithCounter returns a context that counts the round trips made with it;
// read the count with Calls.
func WithCounter(ctx context.Context) context.Context {
	return context.WithValue(ctx, counterKey{}, &counter{})
}

// Calls returns the number of round trips (operations) made with ctx so
// far: 0 for a context without a counter.
func Calls(ctx context.Context) int64 {
	if c, ok := ctx.Value(counterKey{}).(*counter); ok {
		return c.operations.Load()
	}
	return 0
}

// Attempts returns the number of requests sent with ctx so far, the SDK's
// retries included: at least Calls.
func Attempts(ctx context.Context) int64 {
	if c, ok := ctx.Value(counterKey{}).(*counter); ok {
		return c.attempts.Load()
	}
	return 0
}

// Count is an API option of an AWS SDK client (append it to the client's
// Options.APIOptions) that adds each operation it runs to the counter of
// the call's context, once before the retry loop (Calls) and once per
// attempt inside it (Attempts).
func Count(s *middleware.Stack) error {
	if err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("comptoirCountOperations",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if c, ok := ctx.Value(counterKey{}).(*counter); ok {
				c.operations.Add(1)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before); err != nil {
		return err
	}
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("comptoirCountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if c, ok := ctx.Value(counterKey{}).(*counter); ok {
				c.attempts.Add(1)
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

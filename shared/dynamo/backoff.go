package dynamo

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff sleeps before retry number attempt: exponential with full jitter,
// capped at one second.
func backoff(ctx context.Context, attempt int) error {
	limit := min(time.Duration(10<<attempt)*time.Millisecond, time.Second)
	d := time.Duration(rand.Int64N(int64(limit)) + 1)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

package dynamo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// backoff sleeps before retry number attempt: exponential with full jitter,
// capped at one second.
func backoff(ctx context.Context, attempt int) error {
	limit := min(time.Duration(10<<attempt)*time.Millisecond, time.Second)
	d := time.Duration(rand.Int64N(int64(limit)) + 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// maxBatchAttempts bounds the round trips of one batch whose requests
// DynamoDB keeps leaving unprocessed (throttling).
const maxBatchAttempts = 9

// untilProcessed sends a batch with send, then again what DynamoDB left
// unprocessed, with backoff between the attempts, until nothing is left or
// maxBatchAttempts were made. send returns how many requests it left
// unprocessed; what names the operation in errors.
func untilProcessed(ctx context.Context, what string, send func() (left int, err error)) error {
	for attempt := 0; ; attempt++ {
		left, err := send()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if left == 0 {
			return nil
		}
		if attempt+1 >= maxBatchAttempts {
			return fmt.Errorf("%s: %d requests still unprocessed after %d attempts", what, left, maxBatchAttempts)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

package roundtrip_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/aws/smithy-go/middleware"

	"github.com/comptoir/comptoir/shared/roundtrip"
)

// send runs one operation through a stack built with Count.
func send(t *testing.T, ctx context.Context) {
	t.Helper()
	stack := middleware.NewStack("op", func() any { return nil })
	if err := roundtrip.Count(stack); err != nil {
		t.Fatal(err)
	}
	h := middleware.DecorateHandler(middleware.HandlerFunc(func(context.Context, any) (any, middleware.Metadata, error) {
		return nil, middleware.Metadata{}, nil
	}), stack)
	if _, _, err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCount_CountsEveryCallOfItsContextOnly(t *testing.T) {
	ctx := roundtrip.WithCounter(context.Background())
	other := roundtrip.WithCounter(context.Background())
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { send(t, ctx) })
	}
	wg.Wait()
	send(t, other)
	send(t, context.Background())
	if got := roundtrip.Calls(ctx); got != 50 {
		t.Errorf("Calls = %d, want 50", got)
	}
	if got := roundtrip.Calls(other); got != 1 {
		t.Errorf("other request's Calls = %d, want 1", got)
	}
	if got := roundtrip.Calls(context.Background()); got != 0 {
		t.Errorf("Calls without a counter = %d, want 0", got)
	}
}

// TestCount_RetriesAreAttemptsNotRoundTrips runs one operation whose first
// attempt fails and is sent again, as the SDK's retry loop does: one round
// trip, two attempts.
func TestCount_RetriesAreAttemptsNotRoundTrips(t *testing.T) {
	ctx := roundtrip.WithCounter(context.Background())
	stack := middleware.NewStack("op", func() any { return nil })
	if err := roundtrip.Count(stack); err != nil {
		t.Fatal(err)
	}
	retry := middleware.FinalizeMiddlewareFunc("retry", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if _, _, err := next.HandleFinalize(ctx, in); err == nil {
			t.Fatal("the first attempt should fail")
		}
		return next.HandleFinalize(ctx, in)
	})
	if err := stack.Finalize.Add(retry, middleware.Before); err != nil {
		t.Fatal(err)
	}
	sent := 0
	h := middleware.DecorateHandler(middleware.HandlerFunc(func(context.Context, any) (any, middleware.Metadata, error) {
		sent++
		if sent == 1 {
			return nil, middleware.Metadata{}, errors.New("connection reset")
		}
		return nil, middleware.Metadata{}, nil
	}), stack)
	if _, _, err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if calls, attempts := roundtrip.Calls(ctx), roundtrip.Attempts(ctx); calls != 1 || attempts != 2 {
		t.Errorf("Calls %d, Attempts %d; want 1 round trip in 2 attempts", calls, attempts)
	}
}

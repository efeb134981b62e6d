package roundtrip_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/smithy-go/middleware"

	"github.com/comptoir/comptoir/shared/roundtrip"
)

// send runs one operation through a stack built with CountAttempts.
func send(t *testing.T, ctx context.Context) {
	t.Helper()
	stack := middleware.NewStack("op", func() any { return nil })
	if err := roundtrip.CountAttempts(stack); err != nil {
		t.Fatal(err)
	}
	h := middleware.DecorateHandler(middleware.HandlerFunc(func(context.Context, any) (any, middleware.Metadata, error) {
		return nil, middleware.Metadata{}, nil
	}), stack)
	if _, _, err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCountAttempts_CountsEveryCallOfItsContextOnly(t *testing.T) {
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

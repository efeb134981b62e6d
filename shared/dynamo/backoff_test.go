package dynamo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntilProcessed_RetriesWhatIsLeftThenGivesUp(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		left     []int // what each attempt leaves
		err      error // returned by the last attempt
		attempts int
		wantErr  string
	}{
		{"all at once", []int{0}, nil, 1, ""},
		{"two retries", []int{5, 2, 0}, nil, 3, ""},
		{"never done", []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, nil, maxBatchAttempts, "3 requests still unprocessed"},
		{"a failed call", []int{2, 0}, errors.New("throttled"), 2, "throttled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			err := untilProcessed(ctx, "batch test", func() (int, error) {
				n++
				if c.err != nil && n == len(c.left) {
					return 0, c.err
				}
				return c.left[n-1], nil
			})
			if n != c.attempts {
				t.Errorf("%d attempts, want %d", n, c.attempts)
			}
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "batch test: ")):
				t.Errorf("err = %v, want one about %q", err, c.wantErr)
			}
		})
	}
}

func TestUntilProcessed_StopsWhenTheRequestEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	start := time.Now()
	err := untilProcessed(ctx, "batch test", func() (int, error) {
		n++
		cancel()
		return 1, nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 || time.Since(start) > time.Second {
		t.Errorf("err = %v after %d attempts in %v", err, n, time.Since(start))
	}
}

package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// outcome is what one request reports: its DynamoDB round trips (-1 when
// unknown) and its error.
type outcome struct {
	calls   int
	retries int
	// ops names the DynamoDB operations of the request, when known.
	ops string
	err error
}

// sample is what a load run observed.
type sample struct {
	latencies []time.Duration
	calls     []int
	errors    int
	retries   int
	firstErr  error
	elapsed   time.Duration
	// ops counts the requests of each operation signature.
	ops map[string]int
}

// load runs do n times on workers goroutines, stopping early at budget.
func load(ctx context.Context, workers, n int, budget time.Duration, do func(ctx context.Context, i int) outcome) sample {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var (
		next atomic.Int64
		mu   sync.Mutex
		s    sample
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				o := do(ctx, i)
				d := time.Since(t0)
				if o.err != nil && ctx.Err() != nil {
					return // cut by the budget: not a failure of the system
				}
				mu.Lock()
				if o.err != nil {
					s.errors++
					if s.firstErr == nil {
						s.firstErr = o.err
					}
				} else {
					s.latencies = append(s.latencies, d)
					s.retries += o.retries
					if o.calls >= 0 {
						s.calls = append(s.calls, o.calls)
					}
					if o.ops != "" {
						if s.ops == nil {
							s.ops = map[string]int{}
						}
						s.ops[o.ops]++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s.elapsed = time.Since(start)
	return s
}

// stats summarises a sample.
func (s sample) stats(name, request string, workers int) EndpointStats {
	e := EndpointStats{Name: name, Request: request, Workers: workers, Count: len(s.latencies), Errors: s.errors, Retries: s.retries}
	if s.firstErr != nil {
		e.FirstError = s.firstErr.Error()
	}
	if s.elapsed > 0 {
		e.Throughput = float64(len(s.latencies)) / s.elapsed.Seconds()
	}
	if len(s.latencies) > 0 {
		ms := make([]float64, len(s.latencies))
		for i, d := range s.latencies {
			ms[i] = float64(d.Microseconds()) / 1000
		}
		slices.Sort(ms)
		e.Latency = &Percentiles{P50: quantile(ms, 0.50), P90: quantile(ms, 0.90), P99: quantile(ms, 0.99), Max: ms[len(ms)-1]}
	}
	for sig, n := range s.ops {
		if n > s.ops[e.Operations] || n == s.ops[e.Operations] && sig < e.Operations {
			e.Operations = sig
		}
	}
	if len(s.calls) > 0 {
		c := slices.Clone(s.calls)
		slices.Sort(c)
		e.RoundTrips = &RoundTrips{Min: c[0], Median: c[len(c)/2], Max: c[len(c)-1]}
	}
	return e
}

// quantile is the nearest-rank quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// median of unsorted values; 0 when empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Latencies is a set of recorded request latencies.
type Latencies []time.Duration

// Percentile returns the p-th percentile (0 < p ≤ 100) by the nearest-rank method, or 0 when empty.
// The receiver must be sorted.
func (l Latencies) Percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(l))))
	return l[min(max(rank, 1), len(l))-1]
}

// LoadResult is what one closed-loop load run measured.
type LoadResult struct {
	Concurrency int
	Elapsed     time.Duration // length of the measured phase
	Latencies   Latencies     // sorted, successful calls of the measured phase
	Errors      int
	FirstErr    error
}

// Throughput returns successful calls per second.
func (r LoadResult) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// P returns the p-th percentile latency.
func (r LoadResult) P(p float64) time.Duration { return r.Latencies.Percentile(p) }

// Call is one request of a load run; it returns an error when the call failed.
type Call func(ctx context.Context) error

// Load runs call in a closed loop from concurrency workers: first for warmup (discarded), then for
// duration (recorded). Each worker starts its next call as soon as the previous one returned, and
// makes at least one call per phase, however late a loaded machine starts it.
// between, when not nil, runs after the warmup and before the measured phase (to take a CPU sample).
func Load(ctx context.Context, concurrency int, warmup, duration time.Duration, call Call, between func()) LoadResult {
	if warmup > 0 {
		loadPhase(ctx, concurrency, warmup, call)
	}
	if between != nil {
		between()
	}
	r := loadPhase(ctx, concurrency, duration, call)
	r.Concurrency = concurrency
	return r
}

func loadPhase(ctx context.Context, concurrency int, d time.Duration, call Call) LoadResult {
	type worker struct {
		lat   Latencies
		errs  int
		first error
	}
	workers := make([]worker, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range workers {
		w := &workers[i]
		w.lat = make(Latencies, 0, 4096)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(deadline) && (len(w.lat) > 0 || w.errs > 0) {
					return
				}
				err := call(ctx)
				if err != nil {
					w.errs++
					if w.first == nil {
						w.first = err
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	r := LoadResult{Elapsed: time.Since(start)}
	for _, w := range workers {
		r.Latencies = append(r.Latencies, w.lat...)
		r.Errors += w.errs
		if r.FirstErr == nil && w.first != nil {
			r.FirstErr = w.first
		}
	}
	slices.Sort(r.Latencies)
	return r
}

// Timed runs f n times and returns the sorted durations; it stops at the first error.
func Timed(n int, f func(i int) error) (Latencies, error) {
	out := make(Latencies, 0, n)
	for i := range n {
		t0 := time.Now()
		if err := f(i); err != nil {
			return out, fmt.Errorf("run %d: %w", i+1, err)
		}
		out = append(out, time.Since(t0))
	}
	slices.Sort(out)
	return out, nil
}

func sortDurations(l Latencies) { slices.Sort(l) }

// number is what median and bounds summarise: durations, byte counts, rates.
type number interface{ ~int64 | ~float64 }

// median returns the middle value of xs (the mean of the two middle ones for an even count), or 0
// when xs is empty. xs is not modified.
func median[T number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// bounds returns the smallest and largest value of xs (0, 0 when empty).
func bounds[T number](xs []T) (lo, hi T) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}

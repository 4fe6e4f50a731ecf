package bench

import (
	"fmt"
	"math"
	"slices"
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

package bench

import (
	"fmt"
	"time"
)

// Ratio is a ratio computed round by round: Median over the rounds where it is defined (its
// denominator positive), with their range.
type Ratio struct {
	Median, Lo, Hi float64
	Rounds         int // rounds where it is defined
	Of             int // rounds run
}

func (r Ratio) ok() bool { return r.Rounds > 0 }

// String writes "1.23 × (1.10–1.40 over 3 rounds)".
func (r Ratio) String() string {
	if !r.ok() {
		return "n/a"
	}
	s := fmt.Sprintf("%.2f ×", r.Median)
	if r.Of > 1 {
		s += fmt.Sprintf(" (%.2f–%.2f over %d rounds", r.Lo, r.Hi, r.Rounds)
		if r.Rounds < r.Of {
			s += fmt.Sprintf(" of %d", r.Of)
		}
		s += ")"
	}
	return s
}

// ratioOf returns the per-round ratio num(i)/den(i) over n rounds.
func ratioOf(n int, num, den func(i int) float64) Ratio {
	var xs []float64
	for i := range n {
		if d := den(i); d > 0 {
			xs = append(xs, num(i)/d)
		}
	}
	r := Ratio{Rounds: len(xs), Of: n}
	if len(xs) > 0 {
		r.Median = median(xs)
		r.Lo, r.Hi = bounds(xs)
	}
	return r
}

// Hop is the comparison of the gateway with the floor for one case, from one run's rows. Added
// latencies are over the direct call in the same round: the floor's and REST's are path −
// direct; the gRPC hop is grpc − empty − direct. Every ratio is taken round by round (each round
// ran the paths back to back), then the median over the rounds.
type Hop struct {
	Case string
	// At concurrency 1: the medians over the rounds of the added latencies, and the ratios to the
	// floor's.
	FloorAddedP50, RESTAddedP50, GRPCHopP50    time.Duration
	FloorAddedP99, RESTAddedP99, GRPCHopP99    time.Duration
	RESTAdded, GRPCHop, RESTAdded99, GRPCHop99 Ratio
	// GRPCHopNetP50 is the gRPC hop less the load tool's extra CPU per call over the empty call's:
	// ghz decodes every answer into a dynamic message, at c=1 on the call's critical path, where
	// wrk parses no body. GRPCHopNet is its ratio to the floor's added p50.
	GRPCHopNetP50 time.Duration
	GRPCHopNet    Ratio
	// ToolExtraCPU is that extra CPU per call (median over the rounds).
	ToolExtraCPU time.Duration
	// GRPCLikeP50 is the gRPC hop like for like: grpc − replay − direct, beyond a gRPC call
	// answered with the same bytes (which ghz decodes alike) and the upstream call; GRPCLike is
	// its ratio to the floor's added p50 (see Replay).
	GRPCLikeP50 time.Duration
	GRPCLike    Ratio
	// CPU per call at concurrency 1 of the floor proxy and of the gateway per path.
	FloorCPU1, RESTCPU1, GRPCCPU1, EmptyCPU1 time.Duration
	// Throughput per concurrency above 1.
	Throughput map[int]HopThroughput
}

// HopThroughput compares throughputs and CPU per call at one concurrency.
type HopThroughput struct {
	DirectRate, FloorRate, RESTRate, GRPCRate float64
	REST, GRPC                                Ratio // throughput ÷ the floor's
	// CPU per call of the floor proxy, of the gateway over REST and gRPC, of the sandbox (REST cell).
	FloorCPU, RESTCPU, GRPCCPU, SandboxCPU time.Duration
	CPU                                    Ratio // gateway CPU per call, gRPC ÷ REST
}

// row returns the row of a case over a path at a concurrency.
func (r *Report) row(c string, p Path, conc int) *UnaryRow {
	for i := range r.Unary {
		if u := &r.Unary[i]; u.Case == c && u.Path == p && u.Concurrency == conc {
			return u
		}
	}
	return nil
}

// Hop computes the comparison with the floor for a case; fields whose rows are missing stay zero.
func (r *Report) Hop(c string) Hop {
	h := Hop{Case: c, Throughput: map[int]HopThroughput{}}
	rounds := func(rows ...*UnaryRow) int {
		n := -1
		for _, u := range rows {
			if n < 0 || len(u.Runs) < n {
				n = len(u.Runs)
			}
		}
		return max(n, 0)
	}
	p := func(u *UnaryRow, pct float64) func(int) time.Duration {
		return func(i int) time.Duration { return u.Runs[i].Load.P(pct) }
	}
	direct, floor, rest, empty, grpc := r.row(c, Direct, 1), r.row(c, Floor, 1), r.row(c, REST, 1), r.row(c, Empty, 1), r.row(c, GRPC, 1)
	replay := r.row(c, Replay, 1)
	if direct != nil && floor != nil {
		for _, pct := range []float64{50, 99} {
			d, f := p(direct, pct), p(floor, pct)
			floorAdded := func(i int) float64 { return float64(f(i) - d(i)) }
			n := rounds(direct, floor)
			fa := medianOver(n, func(i int) time.Duration { return f(i) - d(i) })
			if rest != nil {
				m := rounds(direct, floor, rest)
				rr := p(rest, pct)
				added := func(i int) time.Duration { return rr(i) - d(i) }
				ra := ratioOf(m, func(i int) float64 { return float64(added(i)) }, floorAdded)
				if pct == 50 {
					h.RESTAddedP50, h.RESTAdded = medianOver(m, added), ra
				} else {
					h.RESTAddedP99, h.RESTAdded99 = medianOver(m, added), ra
				}
			}
			if empty != nil && grpc != nil {
				m := rounds(direct, floor, empty, grpc)
				e, g := p(empty, pct), p(grpc, pct)
				hop := func(i int) time.Duration { return g(i) - e(i) - d(i) }
				gh := ratioOf(m, func(i int) float64 { return float64(hop(i)) }, floorAdded)
				if pct == 50 {
					h.GRPCHopP50, h.GRPCHop = medianOver(m, hop), gh
					extra := func(i int) time.Duration { return grpc.Runs[i].ToolCPU - empty.Runs[i].ToolCPU }
					net := func(i int) time.Duration { return hop(i) - extra(i) }
					h.ToolExtraCPU, h.GRPCHopNetP50 = medianOver(m, extra), medianOver(m, net)
					h.GRPCHopNet = ratioOf(m, func(i int) float64 { return float64(net(i)) }, floorAdded)
				} else {
					h.GRPCHopP99, h.GRPCHop99 = medianOver(m, hop), gh
				}
			}
			if replay != nil && grpc != nil && pct == 50 {
				m := rounds(direct, floor, replay, grpc)
				rp, g := p(replay, pct), p(grpc, pct)
				hop := func(i int) time.Duration { return g(i) - rp(i) - d(i) }
				h.GRPCLikeP50 = medianOver(m, hop)
				h.GRPCLike = ratioOf(m, func(i int) float64 { return float64(hop(i)) }, floorAdded)
			}
			if pct == 50 {
				h.FloorAddedP50 = fa
			} else {
				h.FloorAddedP99 = fa
			}
		}
		h.FloorCPU1 = floor.HopCPU()
	}
	if rest != nil {
		h.RESTCPU1 = rest.HopCPU()
	}
	if grpc != nil {
		h.GRPCCPU1 = grpc.HopCPU()
	}
	if empty != nil {
		h.EmptyCPU1 = empty.HopCPU()
	}
	for _, u := range r.Unary {
		if u.Case != c || u.Path != Floor || u.Concurrency == 1 {
			continue
		}
		conc := u.Concurrency
		floor := r.row(c, Floor, conc)
		t := HopThroughput{FloorRate: floor.Throughput(), FloorCPU: floor.HopCPU()}
		tput := func(u *UnaryRow) func(int) float64 {
			return func(i int) float64 { return u.Runs[i].Load.Throughput() }
		}
		if d := r.row(c, Direct, conc); d != nil {
			t.DirectRate = d.Throughput()
		}
		rest, grpc := r.row(c, REST, conc), r.row(c, GRPC, conc)
		if rest != nil {
			t.RESTRate, t.RESTCPU, t.SandboxCPU = rest.Throughput(), rest.HopCPU(), rest.SandboxCPU()
			t.REST = ratioOf(rounds(floor, rest), tput(rest), tput(floor))
		}
		if grpc != nil {
			t.GRPCRate, t.GRPCCPU = grpc.Throughput(), grpc.HopCPU()
			t.GRPC = ratioOf(rounds(floor, grpc), tput(grpc), tput(floor))
		}
		if rest != nil && grpc != nil {
			t.CPU = ratioOf(rounds(rest, grpc), func(i int) float64 { return float64(grpc.Runs[i].HopCPU) },
				func(i int) float64 { return float64(rest.Runs[i].HopCPU) })
		}
		h.Throughput[conc] = t
	}
	return h
}

// medianOver returns the median of f over n rounds.
func medianOver(n int, f func(int) time.Duration) time.Duration {
	xs := make([]time.Duration, n)
	for i := range n {
		xs[i] = f(i)
	}
	return median(xs)
}

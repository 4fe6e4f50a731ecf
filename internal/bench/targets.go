package bench

import (
	"fmt"
	"strings"
	"time"
)

// The targets.
const (
	TargetGRPCAddedP50 = 150 * time.Microsecond
	TargetGRPCAddedP99 = time.Millisecond
	TargetRESTAddedP50 = 300 * time.Microsecond
	TargetThroughput   = 5000.0 // ExecuteAction/s through the gateway
	TargetFileMemory   = 3      // × file size, gateway peak RSS
)

// Verdict is one target compared with the measurement.
type Verdict struct {
	Target   string
	Measured string
	Met      bool
	Why      string
}

// Evaluate compares a report's rows with the targets. Targets whose rows are missing (a
// scenario not run) are left out.
func Evaluate(r *Report) []Verdict {
	var out []Verdict
	cell := func(c string, p Path, conc int) *UnaryRow {
		for i := range r.Unary {
			if u := &r.Unary[i]; u.Case == c && u.Path == p && u.Concurrency == conc {
				return u
			}
		}
		return nil
	}
	const small = "1KiB"
	a, b, c := cell(small, Direct, 1), cell(small, GRPC, 1), cell(small, REST, 1)
	floor, restFloor := "", ""
	if fa, fb := cell(FloorCase.Name, Direct, 1), cell(FloorCase.Name, GRPC, 1); fa != nil && fb != nil {
		floor = fmt.Sprintf(" A gateway adds at least one loopback gRPC round trip: an empty one (health check, no upstream call) takes %s p50 here, "+
			"against %s for a plain HTTP call to the sandbox; so on this machine no gRPC hop, however cheap its handler, fits in 150 µs.",
			fmtDur(fb.P(50)), fmtDur(fa.P(50)))
	}
	if fc := cell(FloorCase.Name, REST, 1); fc != nil {
		restFloor = fmt.Sprintf(" (an empty REST call, GET /healthz, takes %s p50)", fmtDur(fc.P(50)))
	}
	b16 := cell(small, GRPC, 16)
	if a != nil && b != nil {
		added := b.P(50) - a.P(50)
		why := fmt.Sprintf("b − a is one more loopback gRPC exchange plus the gateway's own work on the critical path: %s CPU per call at concurrency 1",
			fmtDur(b.GatewayCPU()))
		if b16 != nil {
			why += fmt.Sprintf(" (%s at 16, where thread wake-ups are shared)", fmtDur(b16.GatewayCPU()))
		}
		why += ", mostly grpc-go's transport goroutines and thread wake-ups, plus the upstream HTTP call bosaclient makes for the caller; see Profile findings." + floor
		out = append(out, Verdict{
			Target:   "gRPC adds ≤ 150 µs at p50 (1 KiB, concurrency 1)",
			Measured: addedMeasured(b, a, 50, TargetGRPCAddedP50),
			Met:      added <= TargetGRPCAddedP50,
			Why:      why,
		})
		added99 := b.P(99) - a.P(99)
		out = append(out, Verdict{
			Target:   "gRPC adds ≤ 1 ms at p99 (1 KiB, concurrency 1)",
			Measured: addedMeasured(b, a, 99, TargetGRPCAddedP99),
			Met:      added99 <= TargetGRPCAddedP99,
			Why: "the tail is queueing for a core: the load generator, gateway and sandbox (each with runtime threads and GC) share " +
				fmt.Sprint(r.Machine.CPUs) + " cores, and the gateway path has one more process to wake per call (three instead of two)",
		})
	}
	if a != nil && c != nil {
		added := c.P(50) - a.P(50)
		why := fmt.Sprintf("gateway CPU %s per call", fmtDur(c.GatewayCPU()))
		if b != nil {
			why += fmt.Sprintf(" (gRPC: %s)", fmtDur(b.GatewayCPU()))
		}
		why += restFloor + ": on the critical path are net/http's server, grpc-gateway's routing and JSON decoding of the request, the interceptors, " +
			"the upstream call and the JSON encoding of the answer (unary REST calls run the service in process, without a gRPC hop); see Profile findings"
		out = append(out, Verdict{
			Target:   "REST adds ≤ 300 µs at p50 (1 KiB, concurrency 1)",
			Measured: addedMeasured(c, a, 50, TargetRESTAddedP50),
			Met:      added <= TargetRESTAddedP50,
			Why:      why,
		})
	}
	var best *UnaryRow
	for i := range r.Unary {
		u := &r.Unary[i]
		if u.Case == small && u.Path == GRPC && (best == nil || u.Throughput() > best.Throughput()) {
			best = u
		}
	}
	if best != nil {
		total := best.GatewayCPU() + best.SandboxCPU() + best.ClientCPU()
		cores := float64(r.Machine.CPUs)
		v := Verdict{
			Target:   "≥ 5,000 ExecuteAction/s through the gateway (gRPC, 1 KiB)",
			Measured: fmt.Sprintf("%.0f/s at concurrency %d", best.Throughput(), best.Concurrency),
			Met:      best.Throughput() >= TargetThroughput,
		}
		if total > 0 && cores > 0 {
			v.Why = fmt.Sprintf("CPU per request: gateway %s + sandbox %s + load generator %s = %s; %d cores cap all three together at ≈ %.0f/s. "+
				"The gateway's own cost alone would allow ≈ %.0f/s on %d cores",
				fmtDur(best.GatewayCPU()), fmtDur(best.SandboxCPU()), fmtDur(best.ClientCPU()), fmtDur(total), r.Machine.CPUs,
				cores/total.Seconds(), cores/best.GatewayCPU().Seconds(), r.Machine.CPUs)
		}
		var bestDirect *UnaryRow
		for i := range r.Unary {
			u := &r.Unary[i]
			if u.Case == small && u.Path == Direct && (bestDirect == nil || u.Throughput() > bestDirect.Throughput()) {
				bestDirect = u
			}
		}
		if bestDirect != nil {
			v.Why += fmt.Sprintf(". Without the gateway, bosaclient → sandbox tops out at %.0f/s here (concurrency %d)",
				bestDirect.Throughput(), bestDirect.Concurrency)
		}
		out = append(out, v)
	}
	if pc := r.PaginateConfig; len(r.Paginate) > 0 {
		for _, row := range r.Paginate {
			if row.Path == Direct || row.Prefetch < 1 {
				continue
			}
			med := row.Times.Percentile(50)
			out = append(out, Verdict{
				Target:   fmt.Sprintf("%s within 1.15 × N × max(L, C) + L = %s", row.Mode, fmtDur(pc.Target())),
				Measured: fmt.Sprintf("%s median of %d (ideal %s, naive %s)", fmtDur(med), len(row.Times), fmtDur(pc.Ideal()), fmtDur(pc.Naive())),
				Met:      med <= pc.Target(),
				Why: fmt.Sprintf("%.3f × ideal, %s per page against max(L, C) = %s: prefetch hides the consumer's work, but fetches stay sequential "+
					"(each page's cursor comes from the one before), so the floor is N × (L + one upstream exchange + timer slack)",
					float64(med)/float64(pc.Ideal()), fmtDur(med/time.Duration(pc.Pages)), fmtDur(max(pc.Latency, pc.Work))),
			})
		}
	}
	for _, f := range r.Files {
		if f.Path == Direct || f.API != Stream {
			continue
		}
		limit := int64(TargetFileMemory * f.Size)
		out = append(out, Verdict{
			Target: fmt.Sprintf("files: gateway peak memory < 3 × size (%s %s over %s, streaming)", f.Direction, sizeLabel(f.Size), f.Path),
			Measured: fmt.Sprintf("peak RSS %s = %.2f × size (%s above idle = %.2f ×)", fmtBytes(f.GatewayPeakRSS),
				float64(f.GatewayPeakRSS)/float64(f.Size), fmtBytes(f.GatewayPeakRSS-f.GatewayIdleRSS),
				float64(f.GatewayPeakRSS-f.GatewayIdleRSS)/float64(f.Size)),
			Met: f.GatewayPeakRSS < limit,
			Why: fileWhy(f, r.Files),
		})
	}
	return out
}

// addedMeasured describes b − a at the p-th percentile: the difference of the medians over the runs,
// and, with several runs, the range of the per-round differences and in how many rounds the target
// held. Round i of b and of a ran back to back (RunUnary interleaves the paths), so a per-round
// difference compares like with like even when the machine's load drifts between rounds.
func addedMeasured(b, a *UnaryRow, p float64, target time.Duration) string {
	s := fmt.Sprintf("%s (%s vs %s", signed(b.P(p)-a.P(p)), fmtDur(b.P(p)), fmtDur(a.P(p)))
	n := min(len(b.Runs), len(a.Runs))
	if n < 2 {
		return s + ")"
	}
	deltas := make([]time.Duration, n)
	met := 0
	for i := range n {
		deltas[i] = b.Runs[i].Load.P(p) - a.Runs[i].Load.P(p)
		if deltas[i] <= target {
			met++
		}
	}
	lo, hi := bounds(deltas)
	return s + fmt.Sprintf("; medians of %d runs, per round %s to %s, within target in %d of %d)", n, signed(lo), signed(hi), met, n)
}

// fileWhy explains a streaming row's memory, next to the buffered row of the same transfer.
func fileWhy(f FileRow, all []FileRow) string {
	var why string
	if f.GatewayPeakRSS < int64(TargetFileMemory*f.Size) {
		why = "the file passes through in chunks, so the gateway holds a few chunks per transfer whatever the size; the peak is the idle process plus transport buffers"
	} else {
		why = "more than a few chunks are held at once: see Profile findings"
	}
	for _, b := range all {
		if b.API == Buffered && b.Path == f.Path && b.Direction == f.Direction && b.Size == f.Size {
			why += fmt.Sprintf(". The same transfer in one message (%s) peaks at %s = %.2f × size", b.API, fmtBytes(b.GatewayPeakRSS),
				float64(b.GatewayPeakRSS)/float64(b.Size))
		}
	}
	return why
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + fmtDur(d)
	}
	return "−" + fmtDur(-d)
}

// fmtDur writes a duration in µs below 10 ms, in ms below 10 s, else in s.
func fmtDur(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// fmtDurRange writes lo–hi, with the unit once when both share it: "398–455 µs", "9876 µs–10.2 ms".
func fmtDurRange(lo, hi time.Duration) string {
	l, h := fmtDur(lo), fmtDur(hi)
	lv, lu, ok1 := strings.Cut(l, " ")
	hv, hu, ok2 := strings.Cut(h, " ")
	if ok1 && ok2 && lu == hu {
		return lv + "–" + hv + " " + hu
	}
	return l + "–" + h
}

// fmtBytes writes a byte count in MiB (or KiB below 1 MiB).
func fmtBytes(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

package bench

import (
	"fmt"
	"strings"
	"time"
)

// The targets, as ratios to the floor measured in the same run (1 KiB case).
const (
	TargetRESTAdded      = 1.2 // REST added p50 ≤ 1.2 × the floor's added p50 (c=1)
	TargetGRPCHop        = 1.5 // gRPC hop ≤ 1.5 × the floor's added p50 (c=1)
	TargetRESTThroughput = 0.9 // REST throughput ≥ 0.9 × the floor's (c=64)
	TargetCPURatio       = 1.0 // gateway CPU per call over gRPC ≤ over REST
	TargetFileMemory     = 3   // × file size, gateway peak RSS
	// TargetCase is the case the targets are about.
	TargetCase = "1KiB"
)

// Verdict is one target compared with the measurement.
type Verdict struct {
	Target   string
	Measured string
	Met      bool
	Why      string
}

// Evaluate compares a report's rows with the targets. Targets whose rows are missing (a scenario
// or cell not run) are left out.
func Evaluate(r *Report) []Verdict {
	var out []Verdict
	h := r.Hop(TargetCase)
	if h.RESTAdded.ok() {
		out = append(out, Verdict{
			Target:   fmt.Sprintf("REST added p50 ≤ %.1f × the floor's added p50 (%s, c=1)", TargetRESTAdded, TargetCase),
			Measured: h.RESTAdded.String() + fmt.Sprintf(" (added %s vs the floor's %s)", signed(h.RESTAddedP50), signed(h.FloorAddedP50)),
			Met:      h.RESTAdded.Median <= TargetRESTAdded,
			Why:      fmt.Sprintf("gateway CPU per REST call at c=1: %s, the floor proxy's %s; see Profile findings", fmtDur(h.RESTCPU1), fmtDur(h.FloorCPU1)),
		})
	}
	// The gRPC hop target is judged like for like when the replay path ran: the empty call's
	// baseline leaves ghz's decoding of the 1 KiB answer (the load tool's cost, not the gateway's)
	// inside the hop. The literal definition is reported next to it, with its own verdict.
	if h.GRPCLike.ok() {
		out = append(out, Verdict{
			Target: fmt.Sprintf("gRPC hop like for like (beyond a gRPC call answered with the same bytes, and the upstream call) ≤ %.1f × the floor's added p50 (%s, c=1): **the verdict the target is judged on**",
				TargetGRPCHop, TargetCase),
			Measured: h.GRPCLike.String() + fmt.Sprintf(" (hop %s vs the floor's %s)", signed(h.GRPCLikeP50), signed(h.FloorAddedP50)),
			Met:      h.GRPCLike.Median <= TargetGRPCHop,
			Why: fmt.Sprintf("grpc − replay − direct: the replay server (plain grpc-go, no work) answers the gateway's own recorded answer, so ghz decodes "+
				"the same bytes on both paths and its cost cancels, as wrk's does between floor and direct. Gateway CPU per gRPC call at c=1: %s", fmtDur(h.GRPCCPU1)),
		})
	}
	if h.GRPCHop.ok() {
		why := fmt.Sprintf("ghz spends %s more CPU per ExecuteAction call than per empty call (it decodes every answer into a dynamic message; "+
			"wrk parses no body), on the call's critical path at c=1: net of it the hop is %s, %s the floor's. Gateway CPU per gRPC call at c=1: %s "+
			"(the empty call's %s); see Profile findings",
			fmtDur(h.ToolExtraCPU), signed(h.GRPCHopNetP50), h.GRPCHopNet.String(), fmtDur(h.GRPCCPU1), fmtDur(h.EmptyCPU1))
		if h.GRPCLike.ok() {
			why = "the issue's literal definition, reported as measured; the target is judged like for like (row above), because " + why
		}
		out = append(out, Verdict{
			Target:   fmt.Sprintf("gRPC hop (beyond an empty gRPC call and the upstream call) ≤ %.1f × the floor's added p50 (%s, c=1)", TargetGRPCHop, TargetCase),
			Measured: h.GRPCHop.String() + fmt.Sprintf(" (hop %s vs the floor's %s)", signed(h.GRPCHopP50), signed(h.FloorAddedP50)),
			Met:      h.GRPCHop.Median <= TargetGRPCHop,
			Why:      why,
		})
	}
	if t, ok := h.Throughput[64]; ok && t.REST.ok() {
		out = append(out, Verdict{
			Target:   fmt.Sprintf("REST throughput at c=64 ≥ %.1f × the floor's (%s)", TargetRESTThroughput, TargetCase),
			Measured: t.REST.String() + fmt.Sprintf(" (%.0f/s vs %.0f/s)", t.RESTRate, t.FloorRate),
			Met:      t.REST.Median >= TargetRESTThroughput,
			Why: fmt.Sprintf("CPU per call at c=64: gateway %s, floor proxy %s, sandbox %s; the load tool, the hop and the sandbox share %d cores",
				fmtDur(t.RESTCPU), fmtDur(t.FloorCPU), fmtDur(t.SandboxCPU), r.Machine.CPUs),
		})
	}
	for _, c := range []int{64, 16} {
		if t, ok := h.Throughput[c]; ok && t.CPU.ok() {
			out = append(out, Verdict{
				Target:   fmt.Sprintf("gateway CPU per call over gRPC ≤ over REST (%s, c=%d)", TargetCase, c),
				Measured: t.CPU.String() + fmt.Sprintf(" (%s vs %s)", fmtDur(t.GRPCCPU), fmtDur(t.RESTCPU)),
				Met:      t.CPU.Median <= TargetCPURatio,
				Why:      "CPU time of the gateway process (/proc/<pid>/stat) over the measured run, divided by the calls; the load tools' own CPU is not in it",
			})
			break
		}
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

package bench

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(n ...int) Latencies {
		out := make(Latencies, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name string
		in   Latencies
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 4 is the 2nd", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p50 of 5 is the 3rd", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"p90 of 10 is the 9th", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p100 is the max", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"p0 is the min", ms(1, 2, 3), 0, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Percentile(tt.p); got != tt.want {
				t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{"plain", "1234 (bosa-gateway) S 1 1234 1234 0 -1 4194560 2637 0 0 0 150 27 0 0 20 0 9 0 1000 1 1", 1770 * time.Millisecond, false},
		{"name with spaces and parens", "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1", 70 * time.Millisecond, false},
		{"no name", "7 a R 1", 0, true},
		{"too short", "7 (a) R 1 2 3", 0, true},
		{"not a number", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 4 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.stat))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseStatCPU = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseStatusMemory(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    Memory
		wantErr bool
	}{
		{"both", "Name:\tx\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t9\n", Memory{RSS: 10 << 20, Peak: 20 << 20}, false},
		{"missing", "Name:\tx\nVmRSS:\t 1 kB\n", Memory{}, true},
		{"bad unit", "VmHWM:\t1 MB\nVmRSS:\t1 kB\n", Memory{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatusMemory([]byte(tt.status))
			if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
				t.Errorf("parseStatusMemory = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestProcSelf reads this process's own /proc entries.
func TestProcSelf(t *testing.T) {
	p := Proc{PID: os.Getpid()}
	before, err := p.CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := p.CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("CPU time did not grow over 50 ms of spinning: %v → %v", before, after)
	}
	if err := p.ResetPeak(); err != nil {
		t.Fatal(err)
	}
	m, err := p.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS/2 {
		t.Errorf("Memory = %+v", m)
	}
	if _, err := (Proc{PID: -1}).CPUTime(); err == nil {
		t.Error("CPUTime of pid -1: no error")
	}
}

func TestTimed(t *testing.T) {
	got, err := Timed(3, func(i int) error { time.Sleep(time.Duration(3-i) * time.Millisecond); return nil })
	if err != nil || len(got) != 3 || got[0] > got[2] {
		t.Errorf("Timed = %v, %v", got, err)
	}
	boom := errors.New("boom")
	got, err = Timed(3, func(i int) error {
		if i == 1 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Errorf("Timed with error = %v, %v", got, err)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmtDur(150 * time.Microsecond), "150 µs"},
		{fmtDur(9999 * time.Microsecond), "9999 µs"},
		{fmtDur(12345 * time.Microsecond), "12.3 ms"},
		{fmtDur(12 * time.Second), "12.00 s"},
		{signed(-20 * time.Microsecond), "−20 µs"},
		{signed(20 * time.Microsecond), "+20 µs"},
		{fmtDurRange(398*time.Microsecond, 455*time.Microsecond), "398–455 µs"},
		{fmtDurRange(9876*time.Microsecond, 10200*time.Microsecond), "9876 µs–10.2 ms"},
		{fmtBytes(512 << 10), "512 KiB"},
		{fmtBytes(30 << 20), "30.0 MiB"},
		{sizeLabel(10 << 20), "10MiB"},
		{sizeLabel(100 << 10), "100KiB"},
		{sizeLabel(1000), "1000B"},
		{memTotal("24683656 kB"), "23.5 GiB"},
		{memTotal("odd"), "odd"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestPaginateBounds(t *testing.T) {
	c := PaginateConfig{Pages: 50, Latency: 20 * time.Millisecond, Work: 20 * time.Millisecond}
	if c.Ideal() != time.Second || c.Naive() != 2*time.Second || c.Target() != 1170*time.Millisecond {
		t.Errorf("ideal %v naive %v target %v", c.Ideal(), c.Naive(), c.Target())
	}
}

func lat(d ...time.Duration) Latencies { return Latencies(d) }

// unaryRun is a run with a p50, a p99 (p90 = p50), a throughput and a hop CPU per call; the
// tool's CPU per call is the hop's.
func unaryRun(p50, p99 time.Duration, perSecond int, cpu time.Duration) UnaryRun {
	return UnaryRun{Load: LoadResult{Calls: perSecond, Elapsed: time.Second,
		Percentiles: map[float64]time.Duration{50: p50, 90: p50, 99: p99}}, HopCPU: cpu, ToolCPU: cpu}
}

// hopReport is a report of the 1 KiB case over every path, two rounds; the floor adds 200 µs
// (round 1) and 100 µs (round 2) at p50.
func hopReport(rest64 [2]int, grpcCPU time.Duration) *Report {
	us := time.Microsecond
	row := func(p Path, conc int, runs ...UnaryRun) UnaryRow {
		return UnaryRow{Case: "1KiB", Path: p, Concurrency: conc, Runs: runs}
	}
	return &Report{
		Machine: Machine{CPUs: 2},
		Unary: []UnaryRow{
			row(Direct, 1, unaryRun(400*us, 1000*us, 2000, 0), unaryRun(500*us, 1000*us, 2000, 0)),
			row(Floor, 1, unaryRun(600*us, 1500*us, 1500, 80*us), unaryRun(600*us, 1300*us, 1500, 80*us)),
			row(REST, 1, unaryRun(620*us, 1500*us, 1000, 300*us), unaryRun(620*us, 1500*us, 1000, 300*us)), // added 220, 120: 1.1 ×, 1.2 ×
			row(Empty, 1, unaryRun(150*us, 300*us, 5000, 50*us), unaryRun(150*us, 300*us, 5000, 50*us)),
			row(Replay, 1, unaryRun(350*us, 800*us, 2000, 40*us), unaryRun(300*us, 800*us, 2000, 40*us)),
			row(GRPC, 1, unaryRun(1000*us, 2000*us, 800, 250*us), unaryRun(900*us, 2000*us, 800, 250*us)), // hop 450, 250: 2.25 ×, 2.5 ×
			row(Direct, 64, unaryRun(0, 0, 20000, 0), unaryRun(0, 0, 20000, 0)),
			row(Floor, 64, unaryRun(0, 0, 10000, 60*us), unaryRun(0, 0, 8000, 60*us)),
			row(REST, 64, unaryRun(0, 0, rest64[0], 200*us), unaryRun(0, 0, rest64[1], 200*us)),
			row(GRPC, 64, unaryRun(0, 0, 6000, grpcCPU), unaryRun(0, 0, 6000, grpcCPU)),
		},
	}
}

// TestHop: added latencies and ratios to the floor are taken round by round (each round's path
// against the direct and floor runs of the same round), then their median.
func TestHop(t *testing.T) {
	us := time.Microsecond
	h := hopReport([2]int{9500, 7000}, 150*us).Hop("1KiB")
	if h.FloorAddedP50 != 150*us || h.RESTAddedP50 != 170*us || h.GRPCHopP50 != 350*us {
		t.Errorf("added p50: floor %v, REST %v, gRPC hop %v", h.FloorAddedP50, h.RESTAddedP50, h.GRPCHopP50)
	}
	if r := h.RESTAdded; r.Median != (1.1+1.2)/2 || r.Lo != 1.1 || r.Hi != 1.2 || r.Rounds != 2 {
		t.Errorf("REST added ratio %+v", r)
	}
	if r := h.GRPCHop; r.Median != 2.375 || r.Lo != 2.25 || r.Hi != 2.5 {
		t.Errorf("gRPC hop ratio %+v", r)
	}
	if got := h.GRPCHop.String(); got != "2.38 × (2.25–2.50 over 2 rounds)" {
		t.Errorf("ratio text %q", got)
	}
	// The tool spent 200 µs more per ExecuteAction call than per empty call: net hop 250, 50 µs.
	if h.ToolExtraCPU != 200*us || h.GRPCHopNetP50 != 150*us || h.GRPCHopNet.Lo != 0.5 || h.GRPCHopNet.Hi != 1.25 {
		t.Errorf("net of the tool: extra %v, hop %v, ratio %+v", h.ToolExtraCPU, h.GRPCHopNetP50, h.GRPCHopNet)
	}
	// Like for like, beyond the replayed answer: 1000−350−400 = 250 µs (1.25 ×), 900−300−500 = 100 µs (1 ×).
	if h.GRPCLikeP50 != 175*us || h.GRPCLike.Lo != 1 || h.GRPCLike.Hi != 1.25 || h.GRPCLike.Median != 1.125 {
		t.Errorf("like for like: hop %v, ratio %+v", h.GRPCLikeP50, h.GRPCLike)
	}
	t64 := h.Throughput[64]
	if t64.REST.Median != (0.95+0.875)/2 || t64.FloorRate != 9000 || t64.CPU.Median != 0.75 {
		t.Errorf("c=64: %+v", t64)
	}
	// A round where the floor added nothing (noise) gives no ratio, and says so.
	r := hopReport([2]int{9500, 7000}, 150*us)
	r.Unary[1].Runs[1].Load.Percentiles[50] = 500 * us
	if h := r.Hop("1KiB"); h.RESTAdded.Rounds != 1 || h.RESTAdded.String() != "1.10 × (1.10–1.10 over 1 rounds of 2)" {
		t.Errorf("with a round undefined: %+v %q", h.RESTAdded, h.RESTAdded.String())
	}
}

func TestEvaluate(t *testing.T) {
	us := time.Microsecond
	r := hopReport([2]int{9500, 7000}, 150*us) // REST at c=64: 0.95 ×, 0.875 ×: median 0.9125 × (met)
	r.PaginateConfig = PaginateConfig{Pages: 50, Latency: 20 * time.Millisecond, Work: 20 * time.Millisecond}
	r.Paginate = []PaginateRow{
		{Mode: "direct", Path: Direct, Prefetch: -1, Times: lat(2 * time.Second)},
		{Mode: "p0", Path: GRPC, Prefetch: 0, Times: lat(2 * time.Second)},
		{Mode: "p1", Path: GRPC, Prefetch: 1, Times: lat(1100 * time.Millisecond)},
		{Mode: "p4", Path: GRPC, Prefetch: 4, Times: lat(1200 * time.Millisecond)},
	}
	r.Files = []FileRow{
		{Size: 10 << 20, Direction: Download, API: Stream, Path: Direct, Times: lat(time.Second)},
		{Size: 10 << 20, Direction: Download, API: Stream, Path: GRPC, Times: lat(time.Second), GatewayIdleRSS: 10 << 20, GatewayPeakRSS: 29 << 20},
		{Size: 10 << 20, Direction: Upload, API: Stream, Path: REST, Times: lat(time.Second), GatewayIdleRSS: 10 << 20, GatewayPeakRSS: 31 << 20},
		// Buffered rows have no verdict.
		{Size: 10 << 20, Direction: Upload, API: Buffered, Path: REST, Times: lat(time.Second), GatewayIdleRSS: 10 << 20, GatewayPeakRSS: 90 << 20},
	}
	want := []struct {
		prefix string
		met    bool
	}{
		{"REST added p50 ≤ 1.2 × the floor's added p50 (1KiB, c=1)", true},
		{"gRPC hop like for like (beyond a gRPC call answered with the same bytes, and the upstream call) ≤ 1.5 ×", true},
		{"gRPC hop (beyond an empty gRPC call and the upstream call) ≤ 1.5 ×", false},
		{"REST throughput at c=64 ≥ 0.9 × the floor's", true},
		{"gateway CPU per call over gRPC ≤ over REST (1KiB, c=64)", true},
		{"p1 within", true},
		{"p4 within", false},
		{"files: gateway peak memory < 3 × size (download 10MiB over grpc, streaming)", true},
		{"files: gateway peak memory < 3 × size (upload 10MiB over rest, streaming)", false},
	}
	got := Evaluate(r)
	if len(got) != len(want) {
		t.Fatalf("%d verdicts, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i].Target, w.prefix) || got[i].Met != w.met {
			t.Errorf("verdict %d = %q met=%v (%s); want %q met=%v", i, got[i].Target, got[i].Met, got[i].Measured, w.prefix, w.met)
		}
	}
	if !strings.Contains(got[2].Why, "judged like for like") {
		t.Errorf("the raw gRPC hop verdict does not say which one the target is judged on: %q", got[2].Why)
	}
	if m := got[3].Measured; !strings.Contains(m, "0.91 × (0.88–0.95 over 2 rounds)") || !strings.Contains(m, "8250/s vs 9000/s") {
		t.Errorf("throughput measured %q", m)
	}
	// Below the targets: REST at 0.85 × the floor, gRPC costing more CPU than REST.
	low := Evaluate(hopReport([2]int{8500, 6800}, 300*us))
	if low[3].Met || low[4].Met {
		t.Errorf("verdicts below target: %+v", low[3:5])
	}
}

func TestMedianBounds(t *testing.T) {
	tests := []struct {
		name           string
		in             []time.Duration
		med, min, maxv time.Duration
	}{
		{"empty", nil, 0, 0, 0},
		{"one", []time.Duration{5}, 5, 5, 5},
		{"odd, unsorted", []time.Duration{9, 1, 5}, 5, 1, 9},
		{"even: mean of the middle two", []time.Duration{4, 1, 2, 100}, 3, 1, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			lo, hi := bounds(in)
			if got := median(in); got != tt.med || lo != tt.min || hi != tt.maxv {
				t.Errorf("median %v bounds %v %v; want %v, %v %v", got, lo, hi, tt.med, tt.min, tt.maxv)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("input reordered: %v", in)
			}
		})
	}
	if got := median([]float64{1, 2}); got != 1.5 {
		t.Errorf("median of floats = %v", got)
	}
}

// TestUnaryRowRuns: a row of several runs reports the median of the runs' statistics and their
// range.
func TestUnaryRowRuns(t *testing.T) {
	ms := time.Millisecond
	u := UnaryRow{Runs: []UnaryRun{unaryRun(3*ms, 3*ms, 300, 30), unaryRun(1*ms, 1*ms, 1000, 10), unaryRun(2*ms, 2*ms, 500, 20)}}
	if got := u.P(50); got != 2*ms {
		t.Errorf("P(50) = %v", got)
	}
	if lo, hi := u.PRange(99); lo != ms || hi != 3*ms {
		t.Errorf("PRange(99) = %v, %v", lo, hi)
	}
	if got := u.Throughput(); got != 500 {
		t.Errorf("Throughput = %v", got)
	}
	if lo, hi := u.ThroughputRange(); lo != 300 || hi != 1000 {
		t.Errorf("ThroughputRange = %v, %v", lo, hi)
	}
	if got := u.HopCPU(); got != 20 {
		t.Errorf("HopCPU = %v", got)
	}
	cells := (&Report{Unary: []UnaryRow{u}}).unaryCells(u)
	if cells[3] != "2000 µs (1000–3000 µs)" || cells[6] != "500 (300–1000)" {
		t.Errorf("cells %q", cells)
	}
}

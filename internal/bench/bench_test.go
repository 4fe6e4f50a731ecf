package bench

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	// Spin until the CPU time grows (it counts in clock ticks, and a loaded machine may give this
	// process few of them): a CPUTime that never moves fails after 10 s of spinning.
	after := before
	for end := time.Now().Add(10 * time.Second); after <= before && time.Now().Before(end); {
		for spin := time.Now().Add(10 * time.Millisecond); time.Now().Before(spin); {
		}
		if after, err = p.CPUTime(); err != nil {
			t.Fatal(err)
		}
	}
	if after <= before {
		t.Errorf("CPU time did not grow over 10 s of spinning: %v → %v", before, after)
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
	if SelfCPUTime() <= 0 {
		t.Error("SelfCPUTime = 0")
	}
}

func TestLoad(t *testing.T) {
	var calls, inFlight, peak atomic.Int64
	all := make(chan struct{}) // closed once the 4 workers' calls run at once
	var once sync.Once
	boom := errors.New("boom")
	between := false
	r := Load(context.Background(), 4, 20*time.Millisecond, 100*time.Millisecond, func(context.Context) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n == 4 {
			once.Do(func() { close(all) })
		}
		select { // a Load that serialised its calls never gets here with 4 in flight
		case <-all:
		case <-time.After(5 * time.Second):
		}
		if calls.Add(1)%10 == 0 {
			return boom
		}
		time.Sleep(time.Millisecond)
		return nil
	}, func() { between = true })
	if !between {
		t.Error("between was not called")
	}
	if r.Concurrency != 4 || r.Errors == 0 || !errors.Is(r.FirstErr, boom) {
		t.Errorf("result %+v", r)
	}
	if p := peak.Load(); p != 4 || len(r.Latencies) == 0 {
		t.Errorf("%d calls at most ran at once (%d recorded), want the 4 workers' together", p, len(r.Latencies))
	}
	for i := 1; i < len(r.Latencies); i++ {
		if r.Latencies[i] < r.Latencies[i-1] {
			t.Fatal("latencies not sorted")
		}
	}
	if r.P(50) < time.Millisecond || r.Throughput() <= 0 || r.Elapsed < 100*time.Millisecond {
		t.Errorf("p50 %v, throughput %v, elapsed %v", r.P(50), r.Throughput(), r.Elapsed)
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

func TestEvaluate(t *testing.T) {
	us := time.Microsecond
	row := func(p Path, p50, p99 time.Duration, conc, n int) UnaryRow {
		l := make(Latencies, 0, n)
		for i := range n {
			if i < n*98/100 {
				l = append(l, p50)
			} else {
				l = append(l, p99)
			}
		}
		return UnaryRow{Case: "1KiB", Path: p, Concurrency: conc, Runs: []UnaryRun{{Load: LoadResult{Latencies: l, Elapsed: time.Second},
			GatewayCPU: 100 * us, SandboxCPU: 100 * us, ClientCPU: 100 * us}}}
	}
	r := &Report{
		Machine: Machine{CPUs: 2},
		Unary: []UnaryRow{
			row(Direct, 400*us, 900*us, 1, 100),
			row(GRPC, 500*us, 1500*us, 1, 100),   // +100 µs p50 (met), +600 µs p99 (met)
			row(REST, 800*us, 1200*us, 1, 100),   // +400 µs p50 (not met)
			row(GRPC, 900*us, 2000*us, 16, 6000), // 6000/s (met)
		},
		PaginateConfig: PaginateConfig{Pages: 50, Latency: 20 * time.Millisecond, Work: 20 * time.Millisecond},
		Paginate: []PaginateRow{
			{Mode: "direct", Path: Direct, Prefetch: -1, Times: lat(2 * time.Second)},
			{Mode: "p0", Path: GRPC, Prefetch: 0, Times: lat(2 * time.Second)},
			{Mode: "p1", Path: GRPC, Prefetch: 1, Times: lat(1100 * time.Millisecond)},
			{Mode: "p4", Path: GRPC, Prefetch: 4, Times: lat(1200 * time.Millisecond)},
		},
		Files: []FileRow{
			{Size: 10 << 20, Direction: Download, API: Stream, Path: Direct, Times: lat(time.Second)},
			{Size: 10 << 20, Direction: Download, API: Stream, Path: GRPC, Times: lat(time.Second), GatewayIdleRSS: 10 << 20, GatewayPeakRSS: 29 << 20},
			{Size: 10 << 20, Direction: Upload, API: Stream, Path: REST, Times: lat(time.Second), GatewayIdleRSS: 10 << 20, GatewayPeakRSS: 31 << 20},
			// Buffered rows have no verdict.
			{Size: 10 << 20, Direction: Upload, API: Buffered, Path: REST, Times: lat(time.Second), GatewayIdleRSS: 10 << 20, GatewayPeakRSS: 90 << 20},
		},
	}
	want := []struct {
		prefix string
		met    bool
	}{
		{"gRPC adds ≤ 150 µs at p50", true},
		{"gRPC adds ≤ 1 ms at p99", true},
		{"REST adds ≤ 300 µs at p50", false},
		{"≥ 5,000 ExecuteAction/s", true},
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
	if !strings.Contains(got[3].Measured, "6000/s at concurrency 16") {
		t.Errorf("throughput measured %q", got[3].Measured)
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
// range, and the highest peak.
func TestUnaryRowRuns(t *testing.T) {
	ms := time.Millisecond
	run := func(p50 time.Duration, calls int, gwCPU time.Duration, peak int64) UnaryRun {
		l := make(Latencies, calls)
		for i := range l {
			l[i] = p50
		}
		return UnaryRun{Load: LoadResult{Latencies: l, Elapsed: time.Second}, GatewayCPU: gwCPU, GatewayPeakRSS: peak}
	}
	u := UnaryRow{Runs: []UnaryRun{run(3*ms, 300, 30, 10), run(1*ms, 1000, 10, 30), run(2*ms, 500, 20, 20)}}
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
	if got := u.GatewayCPU(); got != 20 {
		t.Errorf("GatewayCPU = %v", got)
	}
	if peak, since := u.GatewayPeakRSS(); peak != 30 || since {
		t.Errorf("GatewayPeakRSS = %v, %v", peak, since)
	}
	cells := (&Report{Unary: []UnaryRow{u}}).unaryCells(u)
	if cells[3] != "2000 µs (1000–3000 µs)" || cells[6] != "500 (300–1000)" {
		t.Errorf("cells %q", cells)
	}
}

// TestAddedMeasured: with several runs, the verdict gives the per-round differences, each round's
// gateway run against the direct run of the same round.
func TestAddedMeasured(t *testing.T) {
	us := time.Microsecond
	rows := func(p50s ...time.Duration) *UnaryRow {
		u := &UnaryRow{}
		for _, d := range p50s {
			u.Runs = append(u.Runs, UnaryRun{Load: LoadResult{Latencies: Latencies{d}}})
		}
		return u
	}
	a := rows(400*us, 500*us, 450*us)
	b := rows(500*us, 700*us, 560*us) // per round +100, +200, +110
	got := addedMeasured(b, a, 50, 150*us)
	want := "+110 µs (560 µs vs 450 µs; medians of 3 runs, per round +100 µs to +200 µs, within target in 2 of 3)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := addedMeasured(rows(500*us), rows(400*us), 50, 150*us); got != "+100 µs (500 µs vs 400 µs)" {
		t.Errorf("one run: %q", got)
	}
}

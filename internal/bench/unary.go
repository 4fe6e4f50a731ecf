package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"bosa.dev/gateway/sandbox"
)

// UnaryCase is one action called in the unary scenario.
type UnaryCase struct {
	Name  string // short label, e.g. "1KiB"
	About string // what is called
	Req   Request
	Check func(Result) error
	// Floor marks the transport-floor case: no action, only the cheapest round trip each path
	// allows (see Session.PrepareFloor), at concurrency 1.
	Floor bool
}

// FloorCase is the transport floor: (a) GET /connectors/names on the sandbox, (b) the gRPC health
// check of the gateway (same server and interceptor chain as ExecuteAction, no upstream call), (c)
// GET /healthz on the gateway's HTTP port. It shows what one extra loopback hop costs on the machine.
var FloorCase = UnaryCase{Name: "floor", Floor: true,
	About: "transport floor, no action: direct GET /connectors/names on the sandbox; grpc.health.v1.Health/Check and GET /healthz on the gateway",
	Check: func(Result) error { return nil }}

// UnaryCases returns the unary cases: a ~1 KiB JSON page, the largest JSON page the sandbox serves
// (~35 KiB), and a ~100 KiB file.
func UnaryCases() []UnaryCase {
	items := func(n int) func(Result) error {
		return func(r Result) error {
			if r.IsFile || r.Items != n {
				return fmt.Errorf("want %d items, got %+v", n, r)
			}
			return nil
		}
	}
	return []UnaryCase{
		FloorCase,
		{
			Name:  "1KiB",
			About: "github/list_pull_requests acme/web, state all, per_page 3 (JSON page of 3 pull requests)",
			Req: Request{Connector: "github", Action: "list_pull_requests",
				Input: map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 3}},
			Check: items(3),
		},
		{
			Name:  "35KiB",
			About: "github/list_pull_requests acme/web, state all, per_page 100 (the largest JSON page the sandbox serves)",
			Req: Request{Connector: "github", Action: "list_pull_requests",
				Input: map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 100}},
			Check: items(100),
		},
		{
			Name:  "100KiB",
			About: "google_drive/download_file f-0114 (a seeded 102,866-byte file: raw bytes direct, bytes field over gRPC, base64 over REST)",
			Req:   Request{Connector: "google_drive", Action: "download_file", Input: map[string]any{"file_id": "f-0114"}},
			Check: func(r Result) error {
				if !r.IsFile || r.FileBytes != 102866 {
					return fmt.Errorf("want a 102866-byte file, got %+v", r)
				}
				return nil
			},
		},
	}
}

// prepare builds the case's call over path.
func (uc UnaryCase) prepare(s *Session, path Path) (func(context.Context) (Result, error), error) {
	if uc.Floor {
		return s.PrepareFloor(path)
	}
	return s.Prepare(path, uc.Req)
}

// UnaryConfig sets up the unary scenario.
type UnaryConfig struct {
	Cases            []UnaryCase
	Paths            []Path
	Concurrency      []int
	Warmup, Duration time.Duration
	// Restart, when set, starts a fresh gateway for every gateway cell (and stops it after), so that
	// the cell's peak RSS is its own rather than memory kept from an earlier, heavier cell. Without
	// it the gateway of Procs is used, its VmHWM reset before each cell.
	Restart StartFunc
	// Repeat is the number of runs of every cell (0 counts as 1). The runs of a case at a
	// concurrency are interleaved across paths (direct, grpc, rest, direct, grpc, rest, …) so that a
	// noisy neighbour hits the paths alike; a row reports the median of its runs.
	Repeat int
}

// runs returns the number of runs per cell.
func (c UnaryConfig) runs() int { return max(c.Repeat, 1) }

// UnaryRow is one measured cell, a case over a path at a concurrency, run Repeat times.
type UnaryRow struct {
	Case        string
	WireBytes   int // size of the sandbox's answer body for the case
	Path        Path
	Concurrency int
	Runs        []UnaryRun // in the order they ran
}

// UnaryRun is one run of a cell.
type UnaryRun struct {
	Load LoadResult
	// CPU time per successful request of the gateway, the sandbox and the load generator (0 when
	// the process was not measured).
	GatewayCPU, SandboxCPU, ClientCPU time.Duration
	// GatewayPeakRSS is the gateway's VmHWM during the run (0 for the direct path); when the kernel
	// cannot reset VmHWM it is the peak since the gateway started, and PeakSinceStart is set.
	GatewayPeakRSS int64
	PeakSinceStart bool
}

// P returns the median over the runs of their p-th percentile latency.
func (u UnaryRow) P(p float64) time.Duration {
	return median(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.Load.P(p) }))
}

// PRange returns the smallest and largest p-th percentile latency of the runs.
func (u UnaryRow) PRange(p float64) (lo, hi time.Duration) {
	return bounds(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.Load.P(p) }))
}

// Throughput returns the median over the runs of their successful calls per second.
func (u UnaryRow) Throughput() float64 {
	return median(runStats(u.Runs, func(r UnaryRun) float64 { return r.Load.Throughput() }))
}

// ThroughputRange returns the lowest and highest throughput of the runs.
func (u UnaryRow) ThroughputRange() (lo, hi float64) {
	return bounds(runStats(u.Runs, func(r UnaryRun) float64 { return r.Load.Throughput() }))
}

// GatewayCPU, SandboxCPU and ClientCPU return the median over the runs of the CPU time per request.
func (u UnaryRow) GatewayCPU() time.Duration {
	return median(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.GatewayCPU }))
}

// SandboxCPU: see GatewayCPU.
func (u UnaryRow) SandboxCPU() time.Duration {
	return median(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.SandboxCPU }))
}

// ClientCPU: see GatewayCPU.
func (u UnaryRow) ClientCPU() time.Duration {
	return median(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.ClientCPU }))
}

// GatewayPeakRSS returns the highest peak RSS of the runs, and whether one of them is a peak since
// the gateway started rather than since the run began.
func (u UnaryRow) GatewayPeakRSS() (peak int64, sinceStart bool) {
	for _, r := range u.Runs {
		peak = max(peak, r.GatewayPeakRSS)
		sinceStart = sinceStart || r.PeakSinceStart
	}
	return peak, sinceStart
}

func runStats[T number](runs []UnaryRun, f func(UnaryRun) T) []T {
	out := make([]T, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// Procs are the processes whose usage the scenarios sample; nil fields are not sampled.
type Procs struct{ Gateway, Sandbox *Proc }

// RunUnary runs every case over every path at every concurrency, cfg.Repeat times. The runs of a
// (case, concurrency) go round by round over the paths (direct, grpc, rest, direct, grpc, rest, …),
// so that drifting machine noise hits the paths alike. progress is called after every run with the
// row so far.
func RunUnary(ctx context.Context, s *Session, procs Procs, cfg UnaryConfig, progress func(UnaryRow)) ([]UnaryRow, error) {
	var rows []UnaryRow
	for _, uc := range cfg.Cases {
		wire, levels := 0, cfg.Concurrency
		if uc.Floor {
			levels = []int{1}
		} else {
			var err error
			if wire, err = s.wireSize(ctx, uc.Req); err != nil {
				return rows, fmt.Errorf("bench: %s: %w", uc.Name, err)
			}
		}
		for _, c := range levels {
			cell := make([]UnaryRow, len(cfg.Paths))
			for i, path := range cfg.Paths {
				cell[i] = UnaryRow{Case: uc.Name, WireBytes: wire, Path: path, Concurrency: c}
			}
			for range cfg.runs() {
				for i := range cell {
					run, err := runCell(ctx, s, procs, uc, cell[i].Path, c, cfg)
					if err != nil {
						return rows, err
					}
					cell[i].Runs = append(cell[i].Runs, run)
					if progress != nil {
						progress(cell[i])
					}
				}
			}
			rows = append(rows, cell...)
		}
	}
	return rows, nil
}

// runCell runs one cell once: a fresh gateway when cfg.Restart is set, one checked call, then the
// load with CPU sampled around its measured phase.
func runCell(ctx context.Context, s *Session, procs Procs, uc UnaryCase, path Path, c int, cfg UnaryConfig) (UnaryRun, error) {
	fresh := false
	if cfg.Restart != nil && path != Direct {
		gw, err := cfg.Restart(ctx)
		if err != nil {
			return UnaryRun{}, err
		}
		defer gw.Stop() //nolint:errcheck // a gateway that does not stop is killed
		if err := s.Attach(gw.GRPCAddr, gw.HTTPAddr); err != nil {
			return UnaryRun{}, err
		}
		procs.Gateway, fresh = &gw.Proc, true
	}
	call, err := uc.prepare(s, path)
	if err != nil {
		return UnaryRun{}, err
	}
	// One checked call first: a wrong answer must fail the run, not become a fast number.
	r, err := call(ctx)
	if err != nil {
		return UnaryRun{}, fmt.Errorf("bench: %s over %s: %w", uc.Name, path, err)
	}
	if err := uc.Check(r); err != nil {
		return UnaryRun{}, fmt.Errorf("bench: %s over %s: %w", uc.Name, path, err)
	}
	var run UnaryRun
	var g0, s0, c0 time.Duration
	sample := func() (g, sb, cl time.Duration) {
		if procs.Gateway != nil {
			g, _ = procs.Gateway.CPUTime()
		}
		if procs.Sandbox != nil {
			sb, _ = procs.Sandbox.CPUTime()
		}
		return g, sb, SelfCPUTime()
	}
	resetOK := false
	load := Load(ctx, c, cfg.Warmup, cfg.Duration, func(ctx context.Context) error {
		_, err := call(ctx)
		return err
	}, func() {
		if procs.Gateway != nil && path != Direct && !fresh {
			resetOK = procs.Gateway.ResetPeak() == nil
		}
		g0, s0, c0 = sample()
	})
	g1, s1, c1 := sample()
	run.Load = load
	if load.Errors > 0 {
		return run, fmt.Errorf("bench: %s over %s at concurrency %d: %d errors, first: %w", uc.Name, path, c, load.Errors, load.FirstErr)
	}
	if err := ctx.Err(); err != nil {
		return run, err
	}
	if n := time.Duration(len(load.Latencies)); n > 0 {
		run.GatewayCPU, run.SandboxCPU, run.ClientCPU = (g1-g0)/n, (s1-s0)/n, (c1-c0)/n
		if path == Direct {
			run.GatewayCPU = 0
		}
	}
	if procs.Gateway != nil && path != Direct {
		if m, err := procs.Gateway.Memory(); err == nil {
			run.GatewayPeakRSS, run.PeakSinceStart = m.Peak, !resetOK && !fresh
		}
	}
	return run, nil
}

// wireSize returns the size of the sandbox's answer body to req (called directly over HTTP).
func (s *Session) wireSize(ctx context.Context, req Request) (int, error) {
	body, err := json.Marshal(req.Input)
	if err != nil {
		return 0, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, s.SandboxURL+"/connectors/"+req.Connector+"/"+req.Action, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("X-API-Key", sandbox.DemoAPIKey)
	hr.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("sandbox answered %d", resp.StatusCode)
	}
	return int(n), nil
}

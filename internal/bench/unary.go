package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// The unary scenario measures the hop: what the gateway adds over calling BOSA (the sandbox)
// directly, next to what any Go hop adds — the floor, a plain httputil.ReverseProxy in front of the
// same sandbox. Five paths, each driven by an established load tool:
//
//	direct  wrk → sandbox                         (the upstream call alone)
//	floor   wrk → ReverseProxy → sandbox          (the floor)
//	rest    wrk → gateway REST → sandbox
//	grpc    ghz → gateway gRPC → sandbox
//	empty   ghz → gateway grpc.health.v1.Health/Check (an empty gRPC call: no upstream call)
//	replay  ghz → a plain grpc-go server answering the gateway's recorded answer bytes (see Replay)
//
// The floor's added latency is floor − direct; REST's is rest − direct; the gRPC hop is grpc −
// empty − direct: what the gateway adds beyond a gRPC round trip and the upstream call; like for
// like, grpc − replay − direct: beyond a gRPC call with the same answer and the upstream call.

// Floor and Empty are the unary scenario's paths besides Direct, GRPC and REST.
const (
	Floor Path = "floor"
	Empty Path = "empty"
)

// UnaryCase is one action called in the unary scenario.
type UnaryCase struct {
	Name  string // short label, e.g. "1KiB"
	About string // what is called
	Req   Request
	Check func(Result) error
}

// UnaryCases returns the unary cases: a ~1 KiB JSON page (the one the targets are about), the
// largest JSON page the sandbox serves (~35 KiB), and a ~100 KiB file.
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

// UnaryConfig sets up the unary scenario.
type UnaryConfig struct {
	Cases []UnaryCase
	// Paths, when set, keeps only these paths (to profile one); ratios need them all.
	Paths       []Path
	Concurrency []int // the empty gRPC call runs at concurrency 1 only
	// Warmup is a tool run before every measured run, discarded; Duration the measured run.
	Warmup, Duration time.Duration
	// Repeat is the number of rounds (0 counts as 1). Within a round every path of a (case,
	// concurrency) runs once, in turn, so that a noisy neighbour hits the paths alike; a row reports
	// the median of its runs and their range.
	Repeat int
	Tools  Tools
	// Dir holds the tools' temporary files.
	Dir string
}

// runs returns the number of runs per cell.
func (c UnaryConfig) runs() int { return max(c.Repeat, 1) }

// UnaryPaths are the paths of the unary scenario at a concurrency, in the order they run.
func UnaryPaths(conc int) []Path {
	if conc == 1 {
		return []Path{Direct, Floor, REST, Empty, Replay, GRPC}
	}
	return []Path{Direct, Floor, REST, GRPC}
}

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
	// CPU time per successful call of the process in the path (the gateway, or the floor proxy),
	// of the sandbox and of the load tool (0 when not measured).
	HopCPU, SandboxCPU, ToolCPU time.Duration
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

// HopCPU, SandboxCPU and ToolCPU return the median over the runs of the CPU time per call.
func (u UnaryRow) HopCPU() time.Duration {
	return median(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.HopCPU }))
}

// SandboxCPU: see HopCPU.
func (u UnaryRow) SandboxCPU() time.Duration {
	return median(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.SandboxCPU }))
}

// ToolCPU: see HopCPU.
func (u UnaryRow) ToolCPU() time.Duration {
	return median(runStats(u.Runs, func(r UnaryRun) time.Duration { return r.ToolCPU }))
}

func runStats[T number](runs []UnaryRun, f func(UnaryRun) T) []T {
	out := make([]T, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// Procs are the processes whose CPU time the unary scenario samples; nil fields are not sampled.
type Procs struct{ Gateway, Floor, Replay, Sandbox *Proc }

// hop returns the process a path goes through (nil for the direct path).
func (p Procs) hop(path Path) *Proc {
	switch path {
	case Floor:
		return p.Floor
	case Replay:
		return p.Replay
	case Direct:
		return nil
	}
	return p.Gateway
}

// RunUnary runs every case at every concurrency over every path (UnaryPaths), cfg.Repeat rounds;
// the session must be attached to the gateway and know the floor proxy. progress is called after
// every run with the row so far.
func RunUnary(ctx context.Context, s *Session, procs Procs, cfg UnaryConfig, progress func(UnaryRow)) ([]UnaryRow, error) {
	var rows []UnaryRow
	for _, uc := range cfg.Cases {
		wire, err := s.wireSize(ctx, uc.Req)
		if err != nil {
			return rows, fmt.Errorf("bench: %s: %w", uc.Name, err)
		}
		for _, c := range cfg.Concurrency {
			paths := UnaryPaths(c)
			if len(cfg.Paths) > 0 {
				paths = slices.DeleteFunc(paths, func(p Path) bool { return !slices.Contains(cfg.Paths, p) })
			}
			cell := make([]UnaryRow, len(paths))
			for i, path := range paths {
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

// runCell runs one cell once: one checked call, a warm-up run of the tool, then the measured run
// with CPU time sampled around it.
func runCell(ctx context.Context, s *Session, procs Procs, uc UnaryCase, path Path, c int, cfg UnaryConfig) (UnaryRun, error) {
	// One checked call first: a wrong answer must fail the run, not become a fast number.
	if err := s.check(ctx, uc, path); err != nil {
		return UnaryRun{}, fmt.Errorf("bench: %s over %s: %w", uc.Name, path, err)
	}
	load, err := s.loadFunc(uc, path, cfg)
	if err != nil {
		return UnaryRun{}, err
	}
	if cfg.Warmup > 0 {
		if _, err := load(ctx, c, cfg.Warmup); err != nil {
			return UnaryRun{}, fmt.Errorf("bench: %s over %s, warm-up: %w", uc.Name, path, err)
		}
	}
	cpu := func(p *Proc) time.Duration {
		if p == nil {
			return 0
		}
		d, _ := p.CPUTime()
		return d
	}
	hop := procs.hop(path)
	h0, s0 := cpu(hop), cpu(procs.Sandbox)
	r, err := load(ctx, c, cfg.Duration)
	if err != nil {
		return UnaryRun{}, fmt.Errorf("bench: %s over %s at concurrency %d: %w", uc.Name, path, c, err)
	}
	h1, s1 := cpu(hop), cpu(procs.Sandbox)
	run := UnaryRun{Load: r}
	if n := time.Duration(r.Calls); n > 0 {
		run.HopCPU, run.SandboxCPU, run.ToolCPU = (h1-h0)/n, (s1-s0)/n, r.ToolCPU/n
	}
	return run, nil
}

// loadFunc returns the tool run of a case over a path.
func (s *Session) loadFunc(uc UnaryCase, path Path, cfg UnaryConfig) (func(context.Context, int, time.Duration) (LoadResult, error), error) {
	switch path {
	case GRPC, Empty, Replay:
		t, err := s.grpcTarget(uc.Req, path)
		if err != nil {
			return nil, err
		}
		if path == Replay {
			t.Metadata[replayCaseKey] = uc.Name
		}
		return func(ctx context.Context, c int, d time.Duration) (LoadResult, error) {
			return cfg.Tools.RunGHZ(ctx, t, c, d)
		}, nil
	}
	t, err := s.httpTarget(uc.Req, path)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c int, d time.Duration) (LoadResult, error) {
		return cfg.Tools.RunWRK(ctx, t, c, d, cfg.Dir)
	}, nil
}

// httpTarget is the HTTP request of req over the direct, floor or REST path.
func (s *Session) httpTarget(req Request, path Path) (HTTPTarget, error) {
	if len(req.Files) > 0 {
		return HTTPTarget{}, fmt.Errorf("bench: the unary scenario sends no files")
	}
	input, err := json.Marshal(req.Input)
	if err != nil {
		return HTTPTarget{}, err
	}
	upstream := func(base string) HTTPTarget {
		return HTTPTarget{URL: base + "/connectors/" + req.Connector + "/" + req.Action, Method: http.MethodPost, Body: input,
			Headers: map[string]string{"Content-Type": "application/json", "X-API-Key": sandbox.DemoAPIKey, "Authorization": "Bearer " + s.Token}}
	}
	switch path {
	case Direct:
		return upstream(s.SandboxURL), nil
	case Floor:
		if s.FloorURL == "" {
			return HTTPTarget{}, fmt.Errorf("bench: no floor proxy")
		}
		return upstream(s.FloorURL), nil
	case REST:
		if s.base == "" {
			return HTTPTarget{}, fmt.Errorf("bench: no gateway HTTP address")
		}
		return HTTPTarget{URL: s.base + "/v1/connectors/" + req.Connector + "/actions/" + req.Action + ":execute", Method: http.MethodPost,
			Body:    append(append([]byte(`{"input": `), input...), '}'),
			Headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + s.Token}}, nil
	}
	return HTTPTarget{}, fmt.Errorf("bench: no HTTP target for path %q", path)
}

// grpcTarget is the gRPC call of req (GRPC), or the empty call (Empty).
func (s *Session) grpcTarget(req Request, path Path) (GRPCTarget, error) {
	if s.grpcAddr == "" {
		return GRPCTarget{}, fmt.Errorf("bench: no gateway gRPC address")
	}
	if path == Empty {
		return GRPCTarget{Addr: s.grpcAddr, Method: "grpc.health.v1.Health.Check", Data: []byte("{}")}, nil
	}
	in, err := s.grpcInput(req)
	if err != nil {
		return GRPCTarget{}, err
	}
	data, err := protojson.Marshal(&bosav1.ExecuteActionRequest{Connector: req.Connector, Action: req.Action, Input: in})
	if err != nil {
		return GRPCTarget{}, err
	}
	addr := s.grpcAddr
	if path == Replay {
		if s.ReplayAddr == "" {
			return GRPCTarget{}, fmt.Errorf("bench: no grpc replay server")
		}
		addr = s.ReplayAddr
	}
	return GRPCTarget{Addr: addr, Method: "bosa.v1.ActionService.ExecuteAction", Data: data,
		Metadata: map[string]string{"authorization": "Bearer " + s.Token}}, nil
}

// check makes one call of the case over the path with this package's clients and checks the answer
// (the floor path: the direct client's request through the proxy, the answer compared with the
// direct one's; the empty call: SERVING).
func (s *Session) check(ctx context.Context, uc UnaryCase, path Path) error {
	switch path {
	case Empty:
		call, err := s.PrepareEmpty()
		if err != nil {
			return err
		}
		_, err = call(ctx)
		return err
	case Floor:
		t, err := s.httpTarget(uc.Req, Floor)
		if err != nil {
			return err
		}
		d, _ := s.httpTarget(uc.Req, Direct)
		got, err := fetch(ctx, t)
		if err != nil {
			return err
		}
		want, err := fetch(ctx, d)
		if err != nil {
			return err
		}
		if len(got) != len(want) {
			return fmt.Errorf("the floor proxy answered %d bytes, the sandbox %d", len(got), len(want))
		}
		return nil
	}
	prepare := func() (func(ctx context.Context) (Result, error), error) { return s.Prepare(path, uc.Req) }
	if path == Replay {
		// The replay server answers what the gateway answered: checked alike.
		prepare = func() (func(ctx context.Context) (Result, error), error) { return s.PrepareReplay(uc) }
	}
	call, err := prepare()
	if err != nil {
		return err
	}
	r, err := call(ctx)
	if err != nil {
		return err
	}
	return uc.Check(r)
}

// fetch sends t once and returns the answer's body; a status other than 200 is an error.
func fetch(ctx context.Context, t HTTPTarget) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, t.Method, t.URL, bytes.NewReader(t.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range t.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %s", t.Method, t.URL, resp.StatusCode, truncate(b, 300))
	}
	return b, nil
}

// wireSize returns the size of the sandbox's answer body to req (called directly over HTTP).
func (s *Session) wireSize(ctx context.Context, req Request) (int, error) {
	t, err := s.httpTarget(req, Direct)
	if err != nil {
		return 0, err
	}
	b, err := fetch(ctx, t)
	return len(b), err
}

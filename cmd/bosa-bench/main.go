// Command bosa-bench runs the gateway benchmarks (package bench) and prints their tables; with -out it
// also writes them as markdown (docs/benchmarks.md). It starts the bosa-sandbox and bosa-gateway
// binaries from -bin as separate processes, and itself again as the floor proxy (-floor-proxy), and
// drives the unary cells with wrk and ghz; `make bench` builds and installs all of them:
//
//	go build -o bin/ ./cmd/bosa-sandbox ./cmd/bosa-gateway ./cmd/bosa-bench
//	bin/bosa-bench -bin bin -out docs/benchmarks.md
//
// With -base REF (or -base-bin DIR) it compares instead: it builds the gateway of the git revision
// REF (bench.BuildAt) and runs the unary gRPC/REST cells with that gateway and -bin's alternately,
// printing them side by side; `make bench-compare BASE=REF` does that and writes
// bin/bench-compare.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"bosa.dev/gateway/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bosa-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	bin, out, workDir string
	scenarios         map[string]bool
	concurrency       []int
	warmup, duration  time.Duration
	repeat            int
	pages             int
	latency, work     time.Duration
	pageRepeats       int
	fileSizes         []int
	fileRepeats       int
	fileAPIs          []string
	gatewayEnv        []string
	cases             map[string]bool
	paths             []bench.Path
	base, baseBin     string
	wrk, ghz          string
	floorProxy        string
	grpcReplay        string
	streams           int
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bosa-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "bin", "directory holding the bosa-sandbox and bosa-gateway binaries")
	fs.StringVar(&o.out, "out", "", "write the report as markdown to this file (e.g. docs/benchmarks.md)")
	fs.StringVar(&o.workDir, "logs", "", "directory for the processes' logs (default: a new temporary directory)")
	scen := fs.String("scenarios", "unary,sizing,paginate,files", "scenarios to run, comma-separated")
	cases := fs.String("cases", "1KiB", "unary cases to run, comma-separated: 1KiB (the targets' case), 35KiB, 100KiB")
	paths := fs.String("paths", "direct,floor,rest,empty,replay,grpc", "unary: paths to run, comma-separated (fewer paths leave ratios out; for profiling one path); compare mode: grpc, rest, empty (default grpc,rest)")
	conc := fs.String("concurrency", "1,16,64", "unary concurrency levels, comma-separated (latency at 1, throughput above)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unary: warm-up run of the load tool before every measured run")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "unary: measured run of the load tool (wrk rounds to whole seconds)")
	fs.IntVar(&o.repeat, "repeat", 5, "unary: rounds, every path of a cell once per round; the tables report medians and min–max")
	fs.StringVar(&o.wrk, "wrk", "", "wrk binary (default: wrk on $PATH)")
	fs.StringVar(&o.ghz, "ghz", "", "ghz binary (default: -bin/ghz, else ghz on $PATH)")
	fs.StringVar(&o.floorProxy, "floor-proxy", "", "serve the floor proxy (a plain httputil.ReverseProxy) in front of this URL and do nothing else")
	fs.StringVar(&o.grpcReplay, "grpc-replay", "", "serve the gRPC replay baseline (ExecuteAction answered with the recorded answers of this JSON file) and do nothing else")
	fs.IntVar(&o.streams, "streams", 1000, "sizing: concurrent calls held open to measure memory per call")
	smoke := fs.Bool("smoke", false, "a short run that proves the pipeline (2 rounds of 1 s, fewer pages and transfers, 10 MiB files, 200 streams); its numbers are not for docs")
	fs.IntVar(&o.pages, "pages", 50, "pagination: pages per run (N)")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "pagination: sandbox latency per page (L)")
	fs.DurationVar(&o.work, "consumer-work", 20*time.Millisecond, "pagination: consumer work per page (C)")
	fs.IntVar(&o.pageRepeats, "page-repeats", 3, "pagination: runs per mode")
	sizes := fs.String("file-sizes", "10,50", "file sizes in MiB, comma-separated")
	fs.IntVar(&o.fileRepeats, "file-repeats", 3, "files: transfers per row")
	apis := fs.String("file-apis", "stream,buffered", "files: APIs to run, comma-separated: stream (DownloadFile/UploadFiles, :download/:upload), buffered (ExecuteAction with the file's bytes)")
	fs.StringVar(&o.base, "base", "", "compare mode: build the gateway at this git ref and run the unary gRPC/REST cells with it and with -bin's gateway alternately")
	fs.StringVar(&o.baseBin, "base-bin", "", "compare mode with a base gateway already built: the directory holding its bosa-gateway (instead of -base)")
	fs.Func("gateway-env", "KEY=value added to the gateway's environment, repeatable (e.g. GOMAXPROCS=1)", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return errors.New("want KEY=value")
		}
		o.gatewayEnv = append(o.gatewayEnv, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *smoke {
		for name, v := range map[string]string{"warmup": "500ms", "duration": "1s", "repeat": "2", "pages": "10", "page-repeats": "1",
			"file-sizes": "10", "file-repeats": "1", "streams": "200"} {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return nil, err
				}
			}
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.base != "" && o.baseBin != "" {
		return nil, errors.New("-base and -base-bin exclude each other")
	}
	if o.comparing() && !set["concurrency"] {
		*conc = compareConcurrency // shorter than the full run's, for a comparison per commit
	}
	if o.comparing() && !set["paths"] {
		*paths = "grpc,rest"
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(*scen, ",") {
		switch s = strings.TrimSpace(s); s {
		case "unary", "sizing", "paginate", "files":
			o.scenarios[s] = true
		default:
			return nil, fmt.Errorf("-scenarios: unknown scenario %q", s)
		}
	}
	known := map[string]bool{}
	for _, c := range bench.UnaryCases() {
		known[c.Name] = true
	}
	o.cases = map[string]bool{}
	for _, c := range strings.Split(*cases, ",") {
		if c = strings.TrimSpace(c); !known[c] {
			return nil, fmt.Errorf("-cases: unknown case %q", c)
		}
		o.cases[c] = true
	}
	for _, p := range strings.Split(*paths, ",") {
		switch p := bench.Path(strings.TrimSpace(p)); p {
		case bench.GRPC, bench.REST, bench.Empty:
			o.paths = append(o.paths, p)
		case bench.Direct, bench.Floor, bench.Replay:
			if o.comparing() {
				return nil, fmt.Errorf("-paths: compare mode measures the gateway: grpc, rest, empty (not %q)", p)
			}
			o.paths = append(o.paths, p)
		default:
			return nil, fmt.Errorf("-paths: unknown path %q", p)
		}
	}
	for _, a := range strings.Split(*apis, ",") {
		switch a = strings.TrimSpace(a); a {
		case bench.Stream, bench.Buffered:
			o.fileAPIs = append(o.fileAPIs, a)
		default:
			return nil, fmt.Errorf("-file-apis: unknown API %q", a)
		}
	}
	var err error
	if o.concurrency, err = ints(*conc); err != nil {
		return nil, fmt.Errorf("-concurrency: %w", err)
	}
	mib, err := ints(*sizes)
	if err != nil {
		return nil, fmt.Errorf("-file-sizes: %w", err)
	}
	for _, n := range mib {
		o.fileSizes = append(o.fileSizes, n<<20)
	}
	if o.duration <= 0 || o.repeat < 1 || o.pages < 1 || o.pageRepeats < 1 || o.fileRepeats < 1 || o.streams < 1 {
		return nil, errors.New("-duration, -repeat, -pages, -page-repeats, -file-repeats and -streams must be positive")
	}
	return o, nil
}

// compareConcurrency is the compare mode's default concurrency levels.
const compareConcurrency = "1,16"

// comparing reports whether the run compares two gateway builds.
func (o *options) comparing() bool { return o.base != "" || o.baseBin != "" }

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if o.floorProxy != "" {
		return bench.ServeFloorProxy(ctx, o.floorProxy, "127.0.0.1:0", stdout)
	}
	if o.grpcReplay != "" {
		return bench.ServeGRPCReplay(ctx, o.grpcReplay, "127.0.0.1:0", stdout)
	}
	bins := bench.Binaries{Dir: o.bin}
	for _, p := range []string{bins.Sandbox(), bins.Gateway(), bins.Bench()} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w (build with: go build -o %s/ ./cmd/bosa-sandbox ./cmd/bosa-gateway ./cmd/bosa-bench)", err, o.bin)
		}
	}
	tools := bench.ToolPaths(o.bin, o.wrk, o.ghz)
	if o.scenarios["unary"] || o.comparing() {
		if err := tools.Check(); err != nil {
			return err
		}
	}
	if o.workDir == "" {
		if o.workDir, err = os.MkdirTemp("", "bosa-bench-"); err != nil {
			return err
		}
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bosa-bench: "+format+"\n", a...) }

	command := "make bench"
	if len(args) > 0 {
		command = "bin/bosa-bench " + strings.Join(args, " ")
	}
	baseBins, baseLabel := bench.Binaries{Dir: o.baseBin}, o.baseBin
	if o.base != "" {
		baseBins.Dir = filepath.Join(o.workDir, "base")
		logf("building the gateway at %s into %s", o.base, baseBins.Dir)
		rev, err := bench.BuildAt(ctx, ".", o.base, baseBins.Dir, "./cmd/bosa-gateway")
		if err != nil {
			return err
		}
		baseLabel = o.base
		if !strings.HasPrefix(rev, o.base) {
			baseLabel += " (" + rev + ")"
		}
	}
	if o.comparing() {
		if _, err := os.Stat(baseBins.Gateway()); err != nil {
			return fmt.Errorf("base gateway: %w", err)
		}
	}
	started, load0 := time.Now(), loadAvg()
	machine := bench.ReadMachine()
	logf("machine: %d CPUs, %s; logs in %s", machine.CPUs, machine.GoVersion, o.workDir)

	sb, err := bench.StartSandbox(ctx, bins.Sandbox(), filepath.Join(o.workDir, "sandbox.log"))
	if err != nil {
		return err
	}
	defer sb.Stop() //nolint:errcheck
	gwN := 0
	starter := func(bin string, env ...string) bench.StartFunc {
		return func(ctx context.Context) (*bench.GatewayProcess, error) {
			gwN++
			return bench.StartGateway(ctx, bin, sb.URL, filepath.Join(o.workDir, fmt.Sprintf("gateway-%02d.log", gwN)),
				append(env, o.gatewayEnv...)...)
		}
	}
	startGateway := starter(bins.Gateway())
	logf("sandbox %s (pid %d)", sb.URL, sb.PID)

	sess, err := bench.NewSession(ctx, sb.URL, "", "")
	if err != nil {
		return err
	}
	defer sess.Close()

	if o.comparing() {
		base, err := starter(baseBins.Gateway())(ctx)
		if err != nil {
			return err
		}
		defer base.Stop() //nolint:errcheck
		current, err := startGateway(ctx)
		if err != nil {
			return err
		}
		defer current.Stop() //nolint:errcheck
		cr := &bench.Comparison{Machine: machine, Started: started, Command: command, Config: bench.CompareConfig{
			Cases: o.unaryCases(), Paths: o.paths, Concurrency: o.concurrency, Warmup: o.warmup, Duration: o.duration,
			Repeat: o.repeat, Tools: tools, Dir: o.workDir, Base: base, Current: current,
			BaseLabel: baseLabel, CurrentLabel: bench.Describe(ctx, ".")}}
		cr.LoadAvg[0] = load0
		logf("comparing gateways: base %s, new %s (%s); %d runs of %s per cell and build",
			cr.Config.BaseLabel, cr.Config.CurrentLabel, bins.Gateway(), o.repeat, o.warmup+o.duration)
		cr.Rows, err = bench.RunCompare(ctx, sess, &sb.Proc, cr.Config, func(c bench.CompareRow) {
			b, n := c.Base.Runs[len(c.Base.Runs)-1].Load, c.Current.Runs[len(c.Current.Runs)-1].Load
			logf("   %-6s %-5s c=%-3d run %d: p50 base %-9v new %-9v", c.Case, c.Path, c.Concurrency, len(c.Base.Runs),
				b.P(50).Round(time.Microsecond), n.P(50).Round(time.Microsecond))
		})
		if err != nil {
			return err
		}
		cr.Elapsed, cr.LoadAvg[1] = time.Since(started), loadAvg()
		cr.WriteText(stdout)
		return writeOut(o.out, cr.WriteMarkdown, logf)
	}

	r := &bench.Report{Machine: machine, Started: started, Command: command}
	r.LoadAvg[0] = load0
	// One gateway serves the unary and sizing scenarios; pagination and files start their own.
	var gw *bench.GatewayProcess
	if o.scenarios["unary"] || o.scenarios["sizing"] || o.scenarios["paginate"] {
		if gw, err = startGateway(ctx); err != nil {
			return err
		}
		defer gw.Stop() //nolint:errcheck
		if err := sess.Attach(gw.GRPCAddr, gw.HTTPAddr); err != nil {
			return err
		}
	}
	if o.scenarios["unary"] {
		floor, err := bench.StartFloorProxy(ctx, bins.Bench(), sb.URL, filepath.Join(o.workDir, "floor.log"))
		if err != nil {
			return err
		}
		defer floor.Stop() //nolint:errcheck
		sess.FloorURL = floor.URL
		r.UnaryConfig = bench.UnaryConfig{Cases: o.unaryCases(), Paths: o.paths, Concurrency: o.concurrency, Warmup: o.warmup,
			Duration: o.duration, Repeat: o.repeat, Tools: tools, Dir: o.workDir}
		procs := bench.Procs{Gateway: &gw.Proc, Floor: &floor.Proc, Sandbox: &sb.Proc}
		if slices.Contains(o.paths, bench.Replay) {
			replay, err := startReplay(ctx, sess, bins, r.UnaryConfig.Cases, o.workDir)
			if err != nil {
				return err
			}
			defer replay.Stop() //nolint:errcheck
			procs.Replay = &replay.Proc
			logf("   grpc replay %s (pid %d)", replay.Addr, replay.PID)
		}
		logf("1. unary: %d cases, %d rounds of %s per cell; gateway pid %d, floor proxy %s (pid %d); wrk %s, ghz %s",
			len(r.UnaryConfig.Cases), o.repeat, o.warmup+o.duration, gw.PID, floor.URL, floor.PID, tools.WRK, tools.GHZ)
		r.Unary, err = bench.RunUnary(ctx, sess, procs, r.UnaryConfig, func(u bench.UnaryRow) {
			l := u.Runs[len(u.Runs)-1].Load
			logf("   %-6s %-6s c=%-3d run %d: p50 %-9v p99 %-9v %6.0f/s", u.Case, u.Path, u.Concurrency, len(u.Runs),
				l.P(50).Round(time.Microsecond), l.P(99).Round(time.Microsecond), l.Throughput())
		})
		if err != nil {
			return err
		}
		_ = floor.Stop()
	}
	if o.scenarios["sizing"] {
		r.SizingConfig = bench.SizingConfig{Streams: o.streams, Hold: 3 * time.Second}
		logf("sizing: %d concurrent calls held %s in the sandbox, over gRPC and over REST", o.streams, r.SizingConfig.Hold)
		if r.Sizing, err = bench.RunSizing(ctx, sess, gw, r.SizingConfig); err != nil {
			return err
		}
	}
	if o.scenarios["paginate"] {
		r.PaginateConfig = bench.PaginateConfig{Pages: o.pages, Latency: o.latency, Work: o.work, Repeats: o.pageRepeats,
			Prefetch: []int{0, 1, 4}, RESTPrefetch: 4}
		logf("2. pagination: %d pages, L=%s, C=%s, %d runs per mode", o.pages, o.latency, o.work, o.pageRepeats)
		if r.Paginate, err = bench.RunPaginate(ctx, sess, r.PaginateConfig); err != nil {
			return err
		}
	}
	if gw != nil {
		_ = gw.Stop()
	}
	if o.scenarios["files"] {
		r.FilesConfig = bench.FilesConfig{Sizes: o.fileSizes, Paths: []bench.Path{bench.Direct, bench.GRPC, bench.REST},
			APIs: o.fileAPIs, Repeats: o.fileRepeats}
		logf("3. files: sizes %v bytes, %d transfers per row", o.fileSizes, o.fileRepeats)
		// The buffered API sends a file as base64 in one JSON body: its gateways take bodies of that size.
		filesGateway := starter(bins.Gateway(), fmt.Sprintf("BOSA_MAX_JSON_BODY_BYTES=%d", bench.BufferedJSONLimit(o.fileSizes)))
		r.Files, err = bench.RunFiles(ctx, sess, filesGateway, r.FilesConfig, func(f bench.FileRow) {
			logf("   %-8s %-8s %-6s %-6s median %-12v peak RSS %d MiB", f.Direction, f.API, f.Path, fmt.Sprint(f.Size>>20, "MiB"),
				f.Times.Percentile(50).Round(time.Millisecond), f.GatewayPeakRSS>>20)
		})
		if err != nil {
			return err
		}
	}
	r.Elapsed = time.Since(r.Started)
	r.LoadAvg[1] = loadAvg()
	r.Verdicts = bench.Evaluate(r)
	r.WriteText(stdout)
	return writeOut(o.out, r.WriteMarkdown, logf)
}

// unaryCases returns the selected unary cases, in their order.
func (o *options) unaryCases() []bench.UnaryCase {
	var out []bench.UnaryCase
	for _, c := range bench.UnaryCases() {
		if o.cases[c.Name] {
			out = append(out, c)
		}
	}
	return out
}

// writeOut writes the markdown report to path, if set.
func writeOut(path string, write func(io.Writer), logf func(string, ...any)) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	write(f)
	if err := f.Close(); err != nil {
		return err
	}
	logf("wrote %s", path)
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// startReplay records the gateway's answer to every unary case and starts the gRPC replay server
// (bench.Replay) with them, attached to sess.
func startReplay(ctx context.Context, sess *bench.Session, bins bench.Binaries, cases []bench.UnaryCase, dir string) (*bench.ReplayProcess, error) {
	var answers []bench.ReplayAnswer
	for _, c := range cases {
		a, err := sess.RecordAnswer(ctx, c)
		if err != nil {
			return nil, err
		}
		answers = append(answers, a)
	}
	replay, err := bench.StartGRPCReplay(ctx, bins.Bench(), filepath.Join(dir, "replay.json"), answers, filepath.Join(dir, "replay.log"))
	if err != nil {
		return nil, err
	}
	if err := sess.AttachReplay(replay.Addr); err != nil {
		_ = replay.Stop()
		return nil, err
	}
	return replay, nil
}

package bench

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run measured.
type Report struct {
	Machine        Machine
	Started        time.Time
	Elapsed        time.Duration
	LoadAvg        [2]string // /proc/loadavg at start and end
	Command        string
	UnaryConfig    UnaryConfig
	SizingConfig   SizingConfig
	PaginateConfig PaginateConfig
	FilesConfig    FilesConfig
	Unary          []UnaryRow
	Sizing         []SizingRow
	Paginate       []PaginateRow
	Files          []FileRow
	Verdicts       []Verdict
}

// findings is the hand-written profile analysis included in docs/benchmarks.md.
//
//go:embed findings.md
var findings string

// WriteText writes the tables for a terminal.
func (r *Report) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if len(r.Unary) > 0 {
		fmt.Fprintln(w, "\n== 1. The hop against the floor: "+unaryLegend)
		fmt.Fprintln(tw, strings.Join(hopHeader, "\t")+"\t")
		for _, c := range r.unaryCaseNames() {
			for _, cells := range r.hopRows(c) {
				fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
			}
		}
		tw.Flush()
		fmt.Fprintln(w, "\n   cells (medians of the rounds, min–max):")
		fmt.Fprintln(tw, strings.Join(cellHeader, "\t")+"\t")
		for _, u := range r.Unary {
			fmt.Fprintln(tw, strings.Join(r.unaryCells(u), "\t")+"\t")
		}
		tw.Flush()
	}
	if rows := r.sizingRows(); len(rows) > 0 {
		fmt.Fprintln(w, "\n== Sizing")
		fmt.Fprintln(tw, "\tgRPC\tREST\t")
		for _, cells := range rows {
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		tw.Flush()
	}
	if len(r.Paginate) > 0 {
		pc := r.PaginateConfig
		fmt.Fprintf(w, "\n== 2. Streaming pagination: N=%d pages, L=%s sandbox latency, C=%s consumer work; ideal N×max(L,C)=%s, naive N×(L+C)=%s, target %s\n",
			pc.Pages, fmtDur(pc.Latency), fmtDur(pc.Work), fmtDur(pc.Ideal()), fmtDur(pc.Naive()), fmtDur(pc.Target()))
		fmt.Fprintln(tw, "mode\tmedian\tmin\tmax\t× ideal\t× naive\t")
		for _, p := range r.Paginate {
			fmt.Fprintln(tw, strings.Join(r.paginateCells(p), "\t")+"\t")
		}
		tw.Flush()
	}
	if len(r.Files) > 0 {
		fmt.Fprintln(w, "\n== 3. Files: google_drive upload_file / download_file")
		fmt.Fprintln(tw, "size\tdirection\tAPI\tpath\tmedian\tMiB/s\tgw idle RSS\tgw peak RSS\tpeak ÷ size\t")
		for _, f := range r.Files {
			fmt.Fprintln(tw, strings.Join(fileCells(f), "\t")+"\t")
		}
		tw.Flush()
	}
	if len(r.Verdicts) > 0 {
		fmt.Fprintln(w, "\n== Targets")
		for _, v := range r.Verdicts {
			fmt.Fprintf(w, "%-8s %s: %s\n", metWord(v.Met), v.Target, v.Measured)
		}
	}
}

func metWord(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

// unaryLegend names the paths of the unary scenario.
const unaryLegend = "direct = wrk → sandbox; floor = wrk → httputil.ReverseProxy → sandbox; rest = wrk → gateway REST; " +
	"grpc = ghz → gateway gRPC; empty = ghz → gateway grpc.health.v1.Health/Check; replay = ghz → a grpc-go server replaying the gateway's answer bytes"

var hopHeader = []string{"case", "hop", "added p50 c=1", "× floor", "added p99 c=1", "× floor", "req/s c=16", "× floor",
	"req/s c=64", "× floor", "CPU/call c=1", "CPU/call c=64"}

var cellHeader = []string{"case", "path", "conc", "p50 (min–max)", "p90", "p99 (min–max)", "req/s (min–max)", "hop CPU/call",
	"sandbox CPU/call", "tool CPU/call"}

// unaryCaseNames returns the cases of the unary rows, in order.
func (r *Report) unaryCaseNames() []string {
	var out []string
	for _, u := range r.Unary {
		if len(out) == 0 || out[len(out)-1] != u.Case {
			out = append(out, u.Case)
		}
	}
	return out
}

// hopRows returns the rows of the ratio table of a case: the floor, REST, and the gRPC hop.
func (r *Report) hopRows(c string) [][]string {
	h := r.Hop(c)
	rate := func(conc int, f func(HopThroughput) (float64, Ratio)) (string, string) {
		t, ok := h.Throughput[conc]
		if !ok {
			return "", ""
		}
		v, ratio := f(t)
		if v == 0 {
			return "", ""
		}
		return fmt.Sprintf("%.0f", v), ratio.String()
	}
	cpu64 := func(f func(HopThroughput) time.Duration) string {
		if t, ok := h.Throughput[64]; ok && f(t) > 0 {
			return fmtDur(f(t))
		}
		return ""
	}
	one := Ratio{Median: 1, Rounds: 1, Of: 1}
	f16, f16r := rate(16, func(t HopThroughput) (float64, Ratio) { return t.FloorRate, one })
	f64, f64r := rate(64, func(t HopThroughput) (float64, Ratio) { return t.FloorRate, one })
	r16, r16r := rate(16, func(t HopThroughput) (float64, Ratio) { return t.RESTRate, t.REST })
	r64, r64r := rate(64, func(t HopThroughput) (float64, Ratio) { return t.RESTRate, t.REST })
	g16, g16r := rate(16, func(t HopThroughput) (float64, Ratio) { return t.GRPCRate, t.GRPC })
	g64, g64r := rate(64, func(t HopThroughput) (float64, Ratio) { return t.GRPCRate, t.GRPC })
	return [][]string{
		{c, "floor (ReverseProxy)", signed(h.FloorAddedP50), "1", signed(h.FloorAddedP99), "1", f16, f16r, f64, f64r,
			fmtDur(h.FloorCPU1), cpu64(func(t HopThroughput) time.Duration { return t.FloorCPU })},
		{c, "gateway REST", signed(h.RESTAddedP50), h.RESTAdded.String(), signed(h.RESTAddedP99), h.RESTAdded99.String(), r16, r16r, r64, r64r,
			fmtDur(h.RESTCPU1), cpu64(func(t HopThroughput) time.Duration { return t.RESTCPU })},
		{c, "gateway gRPC (hop beyond empty call + upstream)", signed(h.GRPCHopP50), h.GRPCHop.String(), signed(h.GRPCHopP99), h.GRPCHop99.String(),
			g16, g16r, g64, g64r, fmtDur(h.GRPCCPU1), cpu64(func(t HopThroughput) time.Duration { return t.GRPCCPU })},
		{c, "gateway gRPC hop like for like (beyond a replayed answer + upstream)", signed(h.GRPCLikeP50), h.GRPCLike.String(),
			"", "", "", "", "", "", "", ""},
		{c, fmt.Sprintf("gateway gRPC hop, net of ghz's extra %s CPU/call (estimate)", fmtDur(h.ToolExtraCPU)), signed(h.GRPCHopNetP50), h.GRPCHopNet.String(),
			"", "", "", "", "", "", "", ""},
	}
}

// sizingRows returns the sizing table's rows (label, gRPC, REST); none when nothing was measured.
func (r *Report) sizingRows() [][]string {
	var rows [][]string
	conc := 0
	for _, u := range r.Unary {
		if u.Case == TargetCase && u.Path == GRPC {
			conc = max(conc, u.Concurrency)
		}
	}
	perCore := func(p Path) string {
		if u := r.row(TargetCase, p, conc); u != nil && u.HopCPU() > 0 {
			return fmt.Sprintf("%.0f", float64(time.Second)/float64(u.HopCPU()))
		}
		return ""
	}
	if conc > 1 {
		rows = append(rows, []string{fmt.Sprintf("calls/s per gateway core (%s ExecuteAction: 1 s ÷ gateway CPU per call at c=%d)", TargetCase, conc),
			perCore(GRPC), perCore(REST)})
	}
	if len(r.Sizing) > 0 {
		cells := map[Path]SizingRow{}
		for _, s := range r.Sizing {
			cells[s.Path] = s
		}
		mem := func(p Path, f func(SizingRow) string) string {
			if s, ok := cells[p]; ok {
				return f(s)
			}
			return ""
		}
		rows = append(rows,
			[]string{fmt.Sprintf("memory per 1,000 concurrent calls (%d held %s upstream; peak RSS − RSS before, scaled)", r.SizingConfig.Streams, fmtDur(r.SizingConfig.Hold)),
				mem(GRPC, func(s SizingRow) string { return fmtBytes(s.PerThousand()) }), mem(REST, func(s SizingRow) string { return fmtBytes(s.PerThousand()) })},
			[]string{"gateway RSS before / peak",
				mem(GRPC, func(s SizingRow) string { return fmtBytes(s.IdleRSS) + " / " + fmtBytes(s.PeakRSS) }),
				mem(REST, func(s SizingRow) string { return fmtBytes(s.IdleRSS) + " / " + fmtBytes(s.PeakRSS) })})
	}
	return rows
}

func (r *Report) unaryCells(u UnaryRow) []string {
	hopCPU := ""
	if u.Path != Direct {
		hopCPU = fmtDur(u.HopCPU())
	}
	p50, p99 := fmtDur(u.P(50)), fmtDur(u.P(99))
	rps := fmt.Sprintf("%.0f", u.Throughput())
	if len(u.Runs) > 1 {
		p50 += " (" + fmtDurRange(u.PRange(50)) + ")"
		p99 += " (" + fmtDurRange(u.PRange(99)) + ")"
		lo, hi := u.ThroughputRange()
		rps += fmt.Sprintf(" (%.0f–%.0f)", lo, hi)
	}
	return []string{u.Case, string(u.Path), fmt.Sprint(u.Concurrency), p50, fmtDur(u.P(90)), p99, rps,
		hopCPU, fmtDur(u.SandboxCPU()), fmtDur(u.ToolCPU())}
}

func (r *Report) paginateCells(p PaginateRow) []string {
	pc := r.PaginateConfig
	med := p.Times.Percentile(50)
	return []string{p.Mode, fmtDur(med), fmtDur(p.Times.Percentile(0)), fmtDur(p.Times.Percentile(100)),
		fmt.Sprintf("%.3f", float64(med)/float64(pc.Ideal())), fmt.Sprintf("%.3f", float64(med)/float64(pc.Naive()))}
}

func fileCells(f FileRow) []string {
	idle, peak, ratio := "", "", ""
	if f.Path != Direct {
		idle, peak = fmtBytes(f.GatewayIdleRSS), fmtBytes(f.GatewayPeakRSS)
		ratio = fmt.Sprintf("%.2f", float64(f.GatewayPeakRSS)/float64(f.Size))
	}
	return []string{sizeLabel(f.Size), f.Direction, f.API, string(f.Path), fmtDur(f.Times.Percentile(50)),
		fmt.Sprintf("%.0f", f.Throughput()/(1<<20)), idle, peak, ratio}
}

// WriteMarkdown writes docs/benchmarks.md.
func (r *Report) WriteMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	row := func(cells ...string) { p("| %s |\n", strings.Join(cells, " | ")) }
	sep := func(n int) { p("|%s\n", strings.Repeat("---|", n)) }
	m := r.Machine

	p("# Benchmarks\n\n")
	p("What the gateway costs, measured by `make bench` (program `cmd/bosa-bench`, package `internal/bench`): one run on one\n")
	p("machine over loopback, with the sandbox (`bosa-sandbox --control`), the gateway (`bosa-gateway`, pointed at the sandbox\n")
	p("with `BOSA_API_URL`, logging JSON at level info to a file) and the floor proxy as separate processes, so that each one's\n")
	p("CPU time and peak memory are its own; established tools drive the load (wrk for HTTP, ghz for gRPC). This file is\n")
	p("generated by that command; only the profile findings are written by hand (`internal/bench/findings.md`).\n\n")
	p("| | |\n|---|---|\n")
	p("| date | %s (run took %s) |\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	p("| machine | %d CPUs (`nproc`), %s, %s RAM, Linux %s |\n", m.CPUs, m.CPUModel, m.MemTotal, m.Kernel)
	p("| Go | %s |\n", m.GoVersion)
	p("| load average (1, 5, 15 min) | at start %s; at end %s |\n", r.LoadAvg[0], r.LoadAvg[1])
	p("| command | `%s` |\n\n", r.Command)
	p("The sandbox, the hop (gateway or floor proxy) and the load tool share the %d cores: every number below includes that\n", m.CPUs)
	p("contention, as a sidecar deployment on a small VM would; the ratios to the floor, taken within a round, are what to\n")
	p("compare across machines.\n\n")

	if len(r.Verdicts) > 0 {
		p("## Targets\n\n")
		row("target", "measured", "verdict", "why")
		sep(4)
		for _, v := range r.Verdicts {
			row(v.Target, v.Measured, "**"+strings.ToLower(metWord(v.Met))+"**", v.Why)
		}
		p("\n")
	}

	if len(r.Unary) > 0 {
		uc := r.UnaryConfig
		p("## 1. The hop against the floor\n\n")
		p("What the gateway adds to a call of BOSA, next to what any Go hop adds. Six paths, each driven by an established\n")
		p("load tool: `direct`, wrk → sandbox (the upstream call alone); `floor`, wrk → a plain `httputil.ReverseProxy` →\n")
		p("sandbox (`bosa-bench -floor-proxy`, its own process); `rest`, wrk → gateway REST → sandbox; `grpc`, ghz →\n")
		p("gateway gRPC → sandbox; `empty`, ghz → the gateway's `grpc.health.v1.Health/Check` (same server and interceptors, no\n")
		p("upstream call); `replay`, ghz → a plain grpc-go server (`bosa-bench -grpc-replay`, its own process) that answers\n")
		p("ExecuteAction with the bytes of the gateway's own answer, recorded once at the start, and does nothing else.\n")
		p("wrk (Debian `wrk`, HTTP/1.1 keep-alive, `conc` connections) and ghz (%s, `conc` concurrent calls on\n", GHZVersion)
		p("one connection) run closed loops; every run is %s of warm-up (a separate tool run, discarded), then %s measured.\n", uc.Warmup, uc.Duration)
		p("There are %d rounds; within a round every path of a (case, concurrency) runs once, back to back, so that a noisy\n", uc.runs())
		p("neighbour hits the paths alike.\n\n")
		p("Added latency at c=1 is taken round by round: the floor's and REST's are path − direct; the gRPC hop is grpc − empty −\n")
		p("direct, what the gateway adds beyond a gRPC round trip and the upstream call (the issue's definition). The empty call's\n")
		p("answer is a few bytes, and ghz decodes every answer into a dynamic message, so that hop also holds ghz's decoding of the\n")
		p("1 KiB answer; like for like, grpc − replay − direct cancels it: ghz decodes the same bytes from the replay server.\n")
		p("`× floor` is the ratio to the floor's added latency (or, for req/s, to the floor's throughput) in the same round: the\n")
		p("median over the rounds, with their range. Absolute numbers move with the machine's load; the ratios, taken within a\n")
		p("round, much less. CPU per call is the hop process's (the gateway, the floor proxy, or the replay server) utime+stime\n")
		p("from `/proc/<pid>/stat` over the measured run, divided by the calls; the load tools' own CPU is not in it.\n\n")
		row(hopHeader...)
		sep(len(hopHeader))
		for _, c := range r.unaryCaseNames() {
			for _, cells := range r.hopRows(c) {
				row(cells...)
			}
		}
		p("\nCases (answer size is the sandbox's body):\n\n")
		for _, c := range uc.Cases {
			wire := 0
			for _, u := range r.Unary {
				if u.Case == c.Name {
					wire = u.WireBytes
					break
				}
			}
			p("- `%s`: %s; %d bytes.\n", c.Name, c.About, wire)
		}
		p("\nEvery cell (medians of the rounds, min–max in parentheses):\n\n")
		row(cellHeader...)
		sep(len(cellHeader))
		for _, u := range r.Unary {
			row(r.unaryCells(u)...)
		}
		p("\n")
	}

	if rows := r.sizingRows(); len(rows) > 0 {
		p("## Sizing\n\n")
		p("For capacity planning (the operations docs quote this table). Calls per second per core: one second of CPU divided\n")
		p("by the gateway's CPU per call in the unary scenario at its highest concurrency, the load tool and the sandbox\n")
		p("excluded (each on other cores in a real deployment; BOSA's own latency does not cost the gateway CPU). Memory: %d\n", r.SizingConfig.Streams)
		p("ExecuteAction calls (%s) held open at once while the sandbox delays each by %s: over gRPC as %d streams of one\n", TargetCase, fmtDur(r.SizingConfig.Hold), r.SizingConfig.Streams)
		p("connection, over REST as %d HTTP/1.1 connections; the gateway's VmHWM during the calls minus its RSS before, per\n", r.SizingConfig.Streams)
		p("1,000 calls. Each call in flight also holds an upstream connection to BOSA.\n\n")
		row("", "gRPC", "REST")
		sep(3)
		for _, cells := range rows {
			row(cells...)
		}
		p("\n")
	}

	if len(r.Paginate) > 0 {
		pc := r.PaginateConfig
		p("## 2. Streaming pagination\n\n")
		p("`github/list_commits` of acme/web, 10 per page, N = %d pages; the sandbox delays every page by L = %s (a fault injected\n", pc.Pages, fmtDur(pc.Latency))
		p("through `POST /sandbox/control/faults` with `latency_ms`); the consumer works C = %s per page (a sleep: it waits on\n", fmtDur(pc.Work))
		p("something else, as a consumer writing to a database would). Time from the call to the end of the work on page N;\n")
		p("%d runs per mode, interleaved. Ideal N × max(L, C) = %s; naive N × (L + C) = %s; target 1.15 × N × max(L, C) + L = %s.\n\n",
			pc.Repeats, fmtDur(pc.Ideal()), fmtDur(pc.Naive()), fmtDur(pc.Target()))
		row("mode", "median", "min", "max", "× ideal", "× naive")
		sep(6)
		for _, pr := range r.Paginate {
			row(r.paginateCells(pr)...)
		}
		p("\n")
	}

	if len(r.Files) > 0 {
		fc := r.FilesConfig
		p("## 3. Files\n\n")
		p("`google_drive/upload_file` (multipart upstream) and `download_file` of incompressible files, %d transfers per row,\n", fc.Repeats)
		p("median reported (1 MiB = 2^20 bytes). API `stream` is the streaming one: over gRPC `DownloadFile` (metadata, then\n")
		p("chunks of the gateway's default size) and `UploadFiles` (header, then chunks of %d bytes); over REST `POST …:download`\n", uploadChunk)
		p("(the answer is the file's bytes) and `POST …:upload` (multipart/form-data: a `request` part with the input, then the\n")
		p("file); `direct` is a streamed HTTP exchange with the sandbox. API `buffered` is the file in one message, still the\n")
		p("API for small files: `ExecuteAction` with `File.data` over gRPC, `:execute` with base64 over REST, `bosaclient.Execute`\n")
		p("directly; the memory target is about `stream`. The load generator streams too: uploads are read from an `io.Reader`\n")
		p("over the file's bytes (REST and direct bodies are an `io.MultiReader`, never a copy), downloads are hashed as they\n")
		p("arrive and not kept. Every transfer is checked byte for byte inside its timing: a download's length and SHA-256\n")
		p("(buffered answers are hashed too), an upload's answer (size and `md5Checksum` the sandbox computed from what it\n")
		p("stored). Each gateway row runs on a freshly started gateway: `gw idle RSS` before the first transfer, `gw peak RSS`\n")
		p("its VmHWM after the last. The buffered API's gateways run with `BOSA_MAX_JSON_BODY_BYTES` raised to %d bytes, so that\n", BufferedJSONLimit(fc.Sizes))
		p("the largest file fits one REST body in base64 (the default, 4 MiB, refuses such bodies: files go through `:upload`).\n\n")
		row("size", "direction", "API", "path", "median", "MiB/s", "gw idle RSS", "gw peak RSS", "peak ÷ size")
		sep(9)
		for _, f := range r.Files {
			row(fileCells(f)...)
		}
		p("\n")
	}

	p("%s\n\n", strings.TrimSpace(findings))
	p("%s\n", strings.TrimSpace(rerun))
}

// rerun is the closing section of docs/benchmarks.md.
const rerun = `## How to rerun

` + "```sh" + `
make bench                                   # installs wrk and ghz, builds bin/bosa-{sandbox,gateway,bench}, runs everything, rewrites this file
make bench BENCHFLAGS=-smoke                 # a short run that proves the pipeline (its numbers are not for this file)
make bench BENCHFLAGS='-scenarios unary'     # one scenario (unary, sizing, paginate, files)
make bench BENCHFLAGS='-repeat 9 -duration 5s'         # the target cells, more and longer rounds
make bench-compare BASE=main                 # this tree's gateway against main's, side by side (bin/bench-compare.md)
bin/bosa-bench -help                         # every knob: -repeat, -duration, -concurrency, -cases, -streams, -file-sizes, -gateway-env, ...
` + "```" + `

` + "`bin/bosa-bench` without `-out` prints the tables only. The sandbox, the gateway and the floor proxy log to a temporary\n" +
	"directory (printed at the start; `-logs DIR` chooses it). For a quiet measurement stop other work on the machine first:\n" +
	"every process shares the same cores. The floor proxy is `bin/bosa-bench -floor-proxy URL`: a plain\n" +
	"`httputil.ReverseProxy` (keep-alive pool of 256 connections, full-duplex HTTP/1), nothing else.\n\n" +
	"Per commit: `make bench-compare BASE=<git ref>` exports the tree of BASE with `git archive` into a temporary\n" +
	"directory (the working tree is untouched), builds its gateway there, and runs the unary gRPC and REST cells\n" +
	"(default the 1 KiB case at concurrency 1 and 16) against the base gateway and the current tree's alternately, with\n" +
	"the same tools and sandbox, printing p50, p99, gateway CPU per call and req/s side by side with new/base ratios and\n" +
	"the rounds in which the new gateway was faster; the same table goes to `bin/bench-compare.md`. `BENCHFLAGS` changes\n" +
	"the cells (`-cases`, `-concurrency`, `-paths grpc,rest,empty`, `-repeat`, `-duration`); `bin/bosa-bench -base-bin DIR`\n" +
	"compares with a gateway binary built elsewhere.\n\n" +
	"The gRPC replay baseline is `bin/bosa-bench -grpc-replay FILE`: a plain grpc-go server (reflection for ghz) answering\n" +
	"`ExecuteAction` with the recorded answer bytes of the case its `bench-case` metadata names, reading no request and\n" +
	"encoding nothing.\n\n" +
	"Profiles: the gateway serves `/debug/pprof/` on its admin listener (`--admin-addr`, off by default); pass it through\n" +
	"`-gateway-env` and fetch profiles while `bosa-bench` runs one path (the admin listener is idle otherwise). In process,\n" +
	"`internal/bench/inprocess_test.go` runs the same calls with sandbox and gateway in the test binary, and\n" +
	"`BenchmarkRESTAnswer` (internal/server) times the REST answer's conversion alone:\n\n" + "```sh" + `
bin/bosa-bench -bin bin -scenarios unary -paths rest -concurrency 64 -repeat 2 -duration 8s -gateway-env BOSA_ADMIN_ADDR=127.0.0.1:6061 &
sleep 6; go tool pprof -proto -output /tmp/rest64.cpu 'http://127.0.0.1:6061/debug/pprof/profile?seconds=8'
curl -s -o /tmp/rest64.allocs http://127.0.0.1:6061/debug/pprof/allocs
go tool pprof -top -cum bin/bosa-gateway /tmp/rest64.cpu
go tool pprof -sample_index=alloc_objects -top bin/bosa-gateway /tmp/rest64.allocs
go test ./internal/server -run '^$' -bench RESTAnswer -benchmem
go test ./internal/bench -run '^$' -bench 'Unary/1KiB/grpc' -benchtime 3s -cpuprofile /tmp/cpu.out -o /tmp/bench.test
` + "```"

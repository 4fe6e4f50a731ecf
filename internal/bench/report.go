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
	PaginateConfig PaginateConfig
	FilesConfig    FilesConfig
	Unary          []UnaryRow
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
		fmt.Fprintln(w, "\n== 1. Unary ExecuteAction: (a) bosaclient → sandbox, (b) gRPC → gateway → sandbox, (c) REST → gateway → sandbox")
		fmt.Fprintln(tw, "case\tpath\tconc\tp50 (min–max)\tp90\tp99 (min–max)\treq/s (min–max)\t+p50\t+p99\tp50 ×\tgw CPU/req\tgw peak RSS\tsandbox CPU/req\tclient CPU/req\t")
		for _, u := range r.Unary {
			c := r.unaryCells(u)
			fmt.Fprintln(tw, strings.Join(c, "\t")+"\t")
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

// baseline returns the direct row of the same case and concurrency.
func (r *Report) baseline(u UnaryRow) *UnaryRow {
	for i := range r.Unary {
		if b := &r.Unary[i]; b.Case == u.Case && b.Concurrency == u.Concurrency && b.Path == Direct {
			return b
		}
	}
	return nil
}

func (r *Report) unaryCells(u UnaryRow) []string {
	added50, added99, ratio := "", "", ""
	if b := r.baseline(u); b != nil && u.Path != Direct {
		added50, added99 = signed(u.P(50)-b.P(50)), signed(u.P(99)-b.P(99))
		if b.P(50) > 0 {
			ratio = fmt.Sprintf("%.2f", float64(u.P(50))/float64(b.P(50)))
		}
	}
	gwCPU, gwRSS := "", ""
	if u.Path != Direct {
		gwCPU = fmtDur(u.GatewayCPU())
		if peak, sinceStart := u.GatewayPeakRSS(); peak > 0 {
			gwRSS = fmtBytes(peak)
			if sinceStart {
				gwRSS += "*"
			}
		}
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
		added50, added99, ratio, gwCPU, gwRSS, fmtDur(u.SandboxCPU()), fmtDur(u.ClientCPU())}
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
	p("What the gateway costs, measured by `make bench` (program `cmd/bosa-bench`, package `bench/`): one run on one\n")
	p("machine over loopback, with the sandbox (`bosa-sandbox --control`) and the gateway (`bosa-gateway`, pointed at the\n")
	p("sandbox with `BOSA_API_URL`, logging JSON at level info to a file) as separate processes, so that the gateway's CPU\n")
	p("time and peak memory are its own. This file is generated by that command; only the profile findings are written by hand\n")
	p("(`internal/bench/findings.md`).\n\n")
	p("| | |\n|---|---|\n")
	p("| date | %s (run took %s) |\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	p("| machine | %d CPUs (`nproc`), %s, %s RAM, Linux %s |\n", m.CPUs, m.CPUModel, m.MemTotal, m.Kernel)
	p("| Go | %s |\n", m.GoVersion)
	p("| load average (1, 5, 15 min) | at start %s; at end %s |\n", r.LoadAvg[0], r.LoadAvg[1])
	p("| command | `%s` |\n\n", r.Command)
	p("All three processes and the load generator share the %d cores: every number below includes that contention, as a\n", m.CPUs)
	p("sidecar deployment on a small VM would.\n\n")

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
		p("## 1. Unary ExecuteAction, side by side\n\n")
		p("(a) `direct`: bosaclient → sandbox (the baseline); (b) `grpc`: gRPC client → gateway → sandbox; (c) `rest`: HTTP/JSON →\n")
		p("gateway (grpc-gateway) → sandbox. Closed loop: each of `conc` workers sends its next call when the previous one returned;\n")
		p("a run is %s of warm-up, then %s measured; latencies of every call recorded, percentiles by nearest rank. Every cell\n", uc.Warmup, uc.Duration)
		p("is run %d times, and the runs of a case at a concurrency are interleaved across the paths (direct, grpc, rest, direct,\n", uc.runs())
		p("grpc, rest, …), so that a noisy neighbour on the shared machine hits all paths alike rather than one cell: `p50`,\n")
		p("`p90`, `p99`, `req/s` and the CPU columns are the median over the runs, with the runs' min–max in parentheses (a wide\n")
		p("range means the machine was busy; trust the median, and compare paths within a round). The runs are short (%s) to\n", uc.Duration)
		p("keep `make bench` within about 8 minutes on 2 cores: repeated short runs resist a neighbour's burst better than one long\n")
		p("run. `+p50`/`+p99` are the added latency over (a) at the same concurrency (difference of the medians), `p50 ×` the\n")
		p("ratio; the target verdicts also give the per-round differences. CPU per request is the process's utime+stime\n")
		p("(`/proc/<pid>/stat`) over the measured phase divided by the calls. Every gateway run starts a fresh gateway, so\n")
		p("`gw peak RSS` (its VmHWM from `/proc/<pid>/status` at the end of the run; the highest of the runs) belongs to that\n")
		p("cell alone. Clients: one shared bosaclient; one gRPC connection; HTTP/1.1 keep-alive for REST. Every client decodes\n")
		p("the answer (JSON into Go values, or the proto message).\n\n")
		p("Cases (answer size is the sandbox's body):\n\n")
		for _, c := range uc.Cases {
			wire := 0
			for _, u := range r.Unary {
				if u.Case == c.Name {
					wire = u.WireBytes
					break
				}
			}
			if c.Floor {
				p("- `%s`: %s.\n", c.Name, c.About)
				continue
			}
			p("- `%s`: %s; %d bytes.\n", c.Name, c.About, wire)
		}
		p("\n")
		row("case", "path", "conc", "p50 (min–max)", "p90", "p99 (min–max)", "req/s (min–max)", "+p50", "+p99", "p50 ×", "gw CPU/req", "gw peak RSS", "sandbox CPU/req", "client CPU/req")
		sep(14)
		for _, u := range r.Unary {
			row(r.unaryCells(u)...)
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
		p("its VmHWM after the last.\n\n")
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
make bench                                   # builds bin/bosa-{sandbox,gateway,bench}, runs everything, rewrites this file
make bench BENCHFLAGS='-scenarios paginate'  # one scenario (unary, paginate, files)
make bench BENCHFLAGS='-repeat 5 -duration 4s -cases floor,1KiB'  # the target cells, more and longer runs
make bench-compare BASE=main                 # this tree's gateway against main's, side by side (bin/bench-compare.md)
bin/bosa-bench -help                         # every knob: -repeat, -duration, -concurrency, -cases, -paths, -file-sizes, -file-apis, -gateway-env, ...
` + "```" + `

` + "`bin/bosa-bench` without `-out` prints the tables only. The sandbox and each gateway log to a temporary directory\n" +
	"(printed at the start; `-logs DIR` chooses it). For a quiet measurement stop other work on the machine first: every\n" +
	"process shares the same cores.\n\n" +
	"Per commit: `make bench-compare BASE=<git ref>` exports the tree of BASE with `git archive` into a temporary\n" +
	"directory (the working tree is untouched), builds its gateway there, and runs the unary gRPC and REST cells\n" +
	"(default `floor`, `1KiB` and `35KiB` at concurrency 1 and 16, 3 runs each) with the base gateway and the current\n" +
	"tree's alternately against the current sandbox, printing p50, p99, gateway CPU per request and req/s side by side\n" +
	"with new/base ratios and the rounds in which the new gateway was faster; the same table goes to\n" +
	"`bin/bench-compare.md`. `BENCHFLAGS` changes the cells (`-cases`, `-concurrency`, `-paths`, `-repeat`, `-duration`);\n" +
	"`bin/bosa-bench -base-bin DIR` compares with a gateway binary built elsewhere. About 3 minutes with the defaults.\n\n" +
	"Profiles: the gateway binary serves no `/debug/pprof`, so `bench/inprocess_test.go` runs the same calls with sandbox\n" +
	"and gateway in the test process:\n\n" + "```sh" + `
go test ./bench -run '^$' -bench 'Unary/1KiB/grpc' -benchtime 3s -cpuprofile /tmp/cpu.out -o /tmp/bench.test
go tool pprof -top -cum -focus _ActionService_ExecuteAction_Handler /tmp/bench.test /tmp/cpu.out
go test ./bench -run '^$' -bench 'Files/upload/stream/grpc' -benchtime 4x -memprofile /tmp/mem.out -o /tmp/bench.test
go tool pprof -sample_index=alloc_space -top -cum /tmp/bench.test /tmp/mem.out
` + "```" + `

` + "`go test ./bench -run '^$' -bench Unary -count 6 > new.txt` on two commits gives files to compare with benchstat\n" +
	"(golang.org/x/perf/cmd/benchstat): the in-process numbers, without process boundaries."

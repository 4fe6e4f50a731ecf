package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"bosa.dev/gateway/internal/bench"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(*options) bool
	}{
		{name: "defaults", args: nil, check: func(o *options) bool {
			return o.bin == "bin" && slices.Equal(o.concurrency, []int{1, 16, 64}) && o.duration == 3*time.Second && o.warmup == time.Second &&
				o.repeat == 5 && o.pages == 50 && o.latency == 20*time.Millisecond && o.work == 20*time.Millisecond &&
				len(o.fileSizes) == 2 && o.fileSizes[1] == 50<<20 && len(o.scenarios) == 4 && len(o.cases) == 1 && o.cases["1KiB"] &&
				len(o.fileAPIs) == 2 && o.streams == 1000 && len(o.paths) == 6
		}},
		{name: "smoke", args: []string{"-smoke", "-repeat", "3"}, check: func(o *options) bool {
			return o.duration == time.Second && o.warmup == 500*time.Millisecond && o.repeat == 3 && o.pages == 10 && o.pageRepeats == 1 &&
				slices.Equal(o.fileSizes, []int{10 << 20}) && o.fileRepeats == 1 && o.streams == 200
		}},
		{name: "subsets", args: []string{"-scenarios", "paginate", "-cases", "1KiB,35KiB", "-concurrency", "8", "-gateway-env", "GOMAXPROCS=1"},
			check: func(o *options) bool {
				return o.scenarios["paginate"] && !o.scenarios["unary"] && o.cases["35KiB"] && len(o.cases) == 2 &&
					o.concurrency[0] == 8 && o.gatewayEnv[0] == "GOMAXPROCS=1"
			}},
		{name: "compare defaults", args: []string{"-base", "HEAD~1"}, check: func(o *options) bool {
			return o.comparing() && o.base == "HEAD~1" && len(o.cases) == 1 && o.cases["1KiB"] &&
				slices.Equal(o.concurrency, []int{1, 16}) && slices.Equal(o.paths, []bench.Path{bench.GRPC, bench.REST})
		}},
		{name: "compare with explicit cells", args: []string{"-base-bin", "old", "-cases", "100KiB", "-concurrency", "64", "-paths", "rest,empty"},
			check: func(o *options) bool {
				return o.comparing() && o.baseBin == "old" && len(o.cases) == 1 && o.cases["100KiB"] &&
					slices.Equal(o.concurrency, []int{64}) && slices.Equal(o.paths, []bench.Path{bench.REST, bench.Empty})
			}},
		{name: "floor proxy", args: []string{"-floor-proxy", "http://127.0.0.1:1"}, check: func(o *options) bool { return o.floorProxy == "http://127.0.0.1:1" }},
		{name: "two bases", args: []string{"-base", "main", "-base-bin", "old"}, wantErr: "exclude each other"},
		{name: "unknown scenario", args: []string{"-scenarios", "unary,nope"}, wantErr: `unknown scenario "nope"`},
		{name: "unknown case", args: []string{"-cases", "2KiB"}, wantErr: `unknown case "2KiB"`},
		{name: "unknown path", args: []string{"-paths", "soap"}, wantErr: `unknown path "soap"`},
		{name: "direct is no compare path", args: []string{"-base", "main", "-paths", "direct,grpc"}, wantErr: `compare mode measures the gateway`},
		{name: "one unary path", args: []string{"-paths", "rest"}, check: func(o *options) bool { return slices.Equal(o.paths, []bench.Path{bench.REST}) }},
		{name: "unknown file API", args: []string{"-file-apis", "stream,mmap"}, wantErr: `unknown API "mmap"`},
		{name: "bad concurrency", args: []string{"-concurrency", "1,0"}, wantErr: "not a positive integer"},
		{name: "bad env", args: []string{"-gateway-env", "nokey"}, wantErr: "want KEY=value"},
		{name: "bad duration", args: []string{"-duration", "0s"}, wantErr: "must be positive"},
		{name: "bad repeat", args: []string{"-repeat", "0"}, wantErr: "must be positive"},
		{name: "extra argument", args: []string{"x"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Errorf("options %+v", o)
			}
		})
	}
}

// buildBinaries builds the sandbox, gateway and bench binaries into a temporary directory, and
// returns it with the flags that point bosa-bench at the load tools (`make bench-tools`).
func buildBinaries(t *testing.T) (string, []string) {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "bosa.dev/gateway/cmd/bosa-sandbox",
		"bosa.dev/gateway/cmd/bosa-gateway", "bosa.dev/gateway/cmd/bosa-bench")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tools := bench.ToolPaths(filepath.Join("..", "..", "bin"), "", "")
	if err := tools.Check(); err != nil {
		t.Fatalf("%v; run `make bench-tools`", err)
	}
	return bin, []string{"-wrk", tools.WRK, "-ghz", tools.GHZ}
}

// TestRun builds the binaries and runs every scenario, shortened, as separate processes (sandbox,
// gateway, floor proxy, wrk and ghz), then checks the tables and the markdown.
func TestRun(t *testing.T) {
	bin, tools := buildBinaries(t)
	out := filepath.Join(t.TempDir(), "benchmarks.md")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"-bin", bin, "-out", out, "-logs", t.TempDir(),
		"-concurrency", "1,2", "-warmup", "0s", "-duration", "1s", "-repeat", "1", "-streams", "20",
		"-pages", "3", "-latency", "5ms", "-consumer-work", "5ms", "-page-repeats", "1",
		"-file-sizes", "1", "-file-repeats", "1"}, tools...), &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"1. The hop against the floor", "floor (ReverseProxy)", "Sizing", "2. Streaming pagination", "3. Files",
		"1MiB", "upload", "download", "Targets", "REST added p50"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Targets", "| 1KiB | gateway REST |", "| 1KiB | empty | 1 |", "| 1KiB | replay | 1 |", "memory per 1,000 concurrent calls",
		"| 1MiB | download | stream | grpc |", "| 1MiB | upload | stream | rest |", "| 1MiB | upload | buffered | rest |", "bin/bosa-bench -bin"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// With the gateway a separate process, its peak RSS is known for every file row through it.
	if strings.Contains(string(md), "| 1MiB | download | stream | grpc | ") && strings.Contains(string(md), "| 0 KiB |") {
		t.Errorf("a gateway row has no memory:\n%s", md)
	}
}

// TestRunCompare compares the gateway binary with itself (-base-bin) and checks the table and the
// markdown; building a base revision is BuildAt's test's business.
func TestRunCompare(t *testing.T) {
	bin, tools := buildBinaries(t)
	out := filepath.Join(t.TempDir(), "compare.md")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"-bin", bin, "-base-bin", bin, "-out", out, "-logs", t.TempDir(),
		"-cases", "1KiB", "-concurrency", "2", "-warmup", "0s", "-duration", "1s", "-repeat", "2"}, tools...), &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Gateway comparison: base "+bin) || !strings.Contains(stdout.String(), "new/base") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Gateway comparison", "| 1KiB | grpc | 2 |", "| 1KiB | rest | 2 |", "-base-bin"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if err := run(context.Background(), append([]string{"-bin", bin, "-base-bin", t.TempDir()}, tools...), io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "base gateway") {
		t.Errorf("missing base binary: error %v", err)
	}
}

func TestRunMissingBinaries(t *testing.T) {
	err := run(context.Background(), []string{"-bin", t.TempDir()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "go build -o") {
		t.Errorf("error %v, want a hint to build", err)
	}
}

// TestFloorProxyMode: -floor-proxy serves a reverse proxy and nothing else, until the context ends.
func TestFloorProxyMode(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte(r.Method+" "+r.URL.Path+" "), body...))
	}))
	defer upstream.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-floor-proxy", upstream.URL}, pw, io.Discard) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "floor proxy serving on ")
	if err != nil || !ok {
		t.Fatalf("printed %q (%v)", line, err)
	}
	resp, err := http.Post(base+"/connectors/x/y", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `POST /connectors/x/y {"a":1}` {
		t.Errorf("through the proxy: %q", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

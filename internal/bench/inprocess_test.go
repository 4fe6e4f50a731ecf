package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// inProcess is a sandbox and a gateway in this process, for tests and for profiling the gateway's
// hot paths with `go test -bench . -cpuprofile` (the gateway binary serves no /debug/pprof).
type inProcess struct {
	sb                 *sandbox.Server
	sess               *Session
	grpcAddr, httpAddr string
}

func startInProcess(tb testing.TB) *inProcess {
	tb.Helper()
	sb := sandbox.NewServer(sandbox.WithControl(true))
	tb.Cleanup(sb.Close)
	srv := startInProcessGateway(tb, sb.URL)
	sess, err := NewSession(context.Background(), sb.URL, srv.GRPCAddr(), srv.HTTPAddr())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sess.Close)
	return &inProcess{sb: sb, sess: sess, grpcAddr: srv.GRPCAddr(), httpAddr: srv.HTTPAddr()}
}

// startInProcessGateway runs a gateway in this process in front of upstream, until the test ends.
func startInProcessGateway(tb testing.TB, upstream string) *server.Server {
	tb.Helper()
	// As the binary logs by default: JSON at level info (here to nowhere).
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := server.Config{UpstreamURL: upstream, APIKey: sandbox.DemoAPIKey, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger: logger}.Complete()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	})
	return srv
}

// testTools returns the load tools, as `make bench` installs them (wrk from Debian, ghz into bin/);
// `make test` installs them too (target bench-tools).
func testTools(tb testing.TB) Tools {
	tb.Helper()
	tools := ToolPaths(filepath.Join("..", "..", "bin"), "", "")
	if err := tools.Check(); err != nil {
		tb.Fatalf("%v; run `make bench-tools`", err)
	}
	return tools
}

// startFloor runs the floor proxy in this process in front of upstream and returns its URL.
func startFloor(tb testing.TB, upstream string) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeFloorProxy(ctx, upstream, "127.0.0.1:0", w) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
		w.Close() // ends the reader below
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, r) }()
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "floor proxy serving on ")
	if err != nil || !ok {
		tb.Fatalf("floor proxy printed %q (%v)", line, err)
	}
	return u
}

// startReplay records the answers of cases over the session's gateway and serves them with
// ServeGRPCReplay until the test ends, attached to the session.
func startReplay(tb testing.TB, sess *Session, cases []UnaryCase) {
	tb.Helper()
	var answers []ReplayAnswer
	for _, c := range cases {
		a, err := sess.RecordAnswer(context.Background(), c)
		if err != nil {
			tb.Fatal(err)
		}
		answers = append(answers, a)
	}
	b, err := json.Marshal(answers)
	if err != nil {
		tb.Fatal(err)
	}
	file := filepath.Join(tb.TempDir(), "replay.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeGRPCReplay(ctx, file, "127.0.0.1:0", w) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
		w.Close()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, r) }()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "grpc replay serving on ")
	if err != nil || !ok {
		tb.Fatalf("grpc replay printed %q (%v)", line, err)
	}
	if err := sess.AttachReplay(addr); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkUnary is the unary scenario in one process, one call at a time:
//
//	go test ./bench -run '^$' -bench 'Unary/1KiB/grpc' -benchtime 3s -cpuprofile /tmp/cpu.out
//	go tool pprof -top -focus 'bosa.dev/gateway/internal/server' bench.test /tmp/cpu.out
func BenchmarkUnary(b *testing.B) {
	ip := startInProcess(b)
	for _, uc := range UnaryCases() {
		for _, path := range []Path{Direct, GRPC, REST} {
			b.Run(uc.Name+"/"+string(path), func(b *testing.B) {
				call, err := ip.sess.Prepare(path, uc.Req)
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				cpu := startCPU()
				for b.Loop() {
					r, err := call(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if err := uc.Check(r); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
	}
}

// cpuClock is the CPU time (user + system) of this process at the start of a benchmark loop.
type cpuClock time.Duration

func startCPU() cpuClock { return cpuClock(processCPU()) }

// report adds cpu-µs/op: the CPU time of the whole process (client, gateway and sandbox, GC
// included) per call. Unlike ns/op it does not count time spent waiting, so it is steadier on a
// shared machine.
func (c cpuClock) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-time.Duration(c))/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFiles transfers 10 MiB files with each API over each path (for -memprofile):
//
//	go test ./bench -run '^$' -bench 'Files/upload/stream/grpc' -benchtime 4x -memprofile /tmp/mem.out
func BenchmarkFiles(b *testing.B) {
	ip := startInProcess(b)
	ctx := context.Background()
	data := payload(10<<20, "bench")
	up, err := ip.sess.Prepare(Direct, uploadRequest("bench-dl.bin", data))
	if err != nil {
		b.Fatal(err)
	}
	r, err := up(ctx)
	if err != nil {
		b.Fatal(err)
	}
	id, _ := r.Object["id"].(string)
	for _, dir := range []string{Download, Upload} {
		req := Request{Connector: "google_drive", Action: "download_file", Input: map[string]any{"file_id": id}}
		if dir == Upload {
			req = uploadRequest("bench-up.bin", data)
		}
		for _, api := range []string{Stream, Buffered} {
			for _, path := range []Path{Direct, GRPC, REST} {
				b.Run(dir+"/"+api+"/"+string(path), func(b *testing.B) {
					prepare := ip.sess.Prepare
					if api == Stream {
						prepare = ip.sess.PrepareStream
					}
					call, err := prepare(path, req)
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(int64(len(data)))
					for b.Loop() {
						if _, err := call(ctx); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

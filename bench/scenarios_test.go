package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestScenariosInProcess runs the unary and pagination scenarios, shortened, against an in-process
// sandbox and gateway over real sockets, then renders the report.
func TestScenariosInProcess(t *testing.T) {
	ip := startInProcess(t)
	ctx := context.Background()
	self := &Proc{PID: os.Getpid()}

	var cases []UnaryCase
	for _, c := range UnaryCases() {
		if c.Name != "35KiB" {
			cases = append(cases, c)
		}
	}
	ucfg := UnaryConfig{Cases: cases, Paths: []Path{Direct, GRPC, REST}, Concurrency: []int{1, 4},
		Duration: 50 * time.Millisecond}
	progressed := 0
	rows, err := RunUnary(ctx, ip.sess, Procs{Gateway: self, Sandbox: self}, ucfg, func(UnaryRow) { progressed++ })
	if err != nil {
		t.Fatal(err)
	}
	// The floor runs at concurrency 1 only: 3 + 2 cases × 2 levels × 3 paths.
	if len(rows) != 15 || progressed != 15 {
		t.Fatalf("%d rows, %d progress calls, want 15", len(rows), progressed)
	}
	for _, r := range rows {
		if len(r.Load.Latencies) == 0 || r.Load.Errors != 0 {
			t.Errorf("%s/%s/%d: %d calls, %d errors", r.Case, r.Path, r.Concurrency, len(r.Load.Latencies), r.Load.Errors)
		}
		if r.Path != Direct && r.GatewayPeakRSS <= 0 {
			t.Errorf("%s/%s/%d: no peak RSS", r.Case, r.Path, r.Concurrency)
		}
		if r.Case == "1KiB" && r.WireBytes < 900 || r.Case == "100KiB" && r.WireBytes != 102866 {
			t.Errorf("%s: answer of %d bytes", r.Case, r.WireBytes)
		}
	}

	pcfg := PaginateConfig{Pages: 4, Latency: 10 * time.Millisecond, Work: 10 * time.Millisecond, Repeats: 1,
		Prefetch: []int{0, 2}, RESTPrefetch: 2}
	prows, err := RunPaginate(ctx, ip.sess, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(prows) != 4 {
		t.Fatalf("%d pagination rows, want 4", len(prows))
	}
	for _, r := range prows {
		// Lower bounds only (upper bounds would be flaky under -race): the consumer alone works
		// N × C, and sequential paging cannot overlap anything.
		min := pcfg.Ideal()
		if r.Path == Direct {
			min = pcfg.Naive()
		}
		if got := r.Times.Percentile(50); got < min {
			t.Errorf("%s took %v, less than the possible %v: latency not injected?", r.Mode, got, min)
		}
	}
	// The latency fault is cleared afterwards.
	resp, err := http.Get(ip.sb.URL + "/sandbox/control/faults")
	if err != nil {
		t.Fatal(err)
	}
	var faults struct{ Data []any }
	err = json.NewDecoder(resp.Body).Decode(&faults)
	resp.Body.Close()
	if err != nil || len(faults.Data) != 0 {
		t.Errorf("faults left queued: %v %v", faults.Data, err)
	}

	r := &Report{Machine: ReadMachine(), Started: time.Now(), Command: "test", UnaryConfig: ucfg, PaginateConfig: pcfg,
		Unary: rows, Paginate: prows}
	r.Verdicts = Evaluate(r)
	var text, md bytes.Buffer
	r.WriteText(&text)
	r.WriteMarkdown(&md)
	for _, want := range []string{"1. Unary", "2. Streaming pagination", "Targets", "floor"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	for _, want := range []string{"# Benchmarks", "## Targets", "## 1. Unary", "## 2. Streaming pagination", "| 1KiB | grpc | 4 |", "## Profile findings"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

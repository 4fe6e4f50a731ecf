package bench

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestScenariosInProcess runs the unary (with the real wrk and ghz), sizing and pagination
// scenarios, shortened, against an in-process sandbox, gateway and floor proxy over real sockets,
// then renders the report.
func TestScenariosInProcess(t *testing.T) {
	ip := startInProcess(t)
	ip.sess.FloorURL = startFloor(t, ip.sb.URL)
	ctx := context.Background()
	self := &Proc{PID: os.Getpid()}

	var cases []UnaryCase
	for _, c := range UnaryCases() {
		if c.Name != "35KiB" {
			cases = append(cases, c)
		}
	}
	startReplay(t, ip.sess, cases)
	ucfg := UnaryConfig{Cases: cases, Concurrency: []int{1, 4}, Duration: time.Second, Repeat: 2, Tools: testTools(t), Dir: t.TempDir()}
	var order []string
	rows, err := RunUnary(ctx, ip.sess, Procs{Gateway: self, Floor: self, Replay: self, Sandbox: self}, ucfg, func(u UnaryRow) {
		order = append(order, fmt.Sprintf("%s/%d/%s/%d", u.Case, u.Concurrency, u.Path, len(u.Runs)))
	})
	if err != nil {
		t.Fatal(err)
	}
	// 2 cases × (6 paths at concurrency 1 + 4 at 4), 2 rounds.
	if len(rows) != 20 || len(order) != 40 {
		t.Fatalf("%d rows, %d progress calls, want 20 and 40", len(rows), len(order))
	}
	// The runs of a cell alternate over the paths, round by round.
	wantStart := []string{"1KiB/1/direct/1", "1KiB/1/floor/1", "1KiB/1/rest/1", "1KiB/1/empty/1", "1KiB/1/replay/1", "1KiB/1/grpc/1", "1KiB/1/direct/2"}
	if !slices.Equal(order[:len(wantStart)], wantStart) {
		t.Errorf("runs in order %q, want them to start %q", order, wantStart)
	}
	for _, r := range rows {
		if len(r.Runs) != 2 || r.Runs[1].Load.Calls == 0 || r.P(50) <= 0 || r.P(99) < r.P(50) || r.Throughput() <= 0 {
			t.Errorf("%s/%s/%d: runs %+v", r.Case, r.Path, r.Concurrency, r.Runs)
		}
		if r.Path != Direct && r.HopCPU() <= 0 || r.ToolCPU() <= 0 {
			t.Errorf("%s/%s/%d: hop CPU %v, tool CPU %v", r.Case, r.Path, r.Concurrency, r.HopCPU(), r.ToolCPU())
		}
		if r.Case == "1KiB" && r.WireBytes < 900 || r.Case == "100KiB" && r.WireBytes != 102866 {
			t.Errorf("%s: answer of %d bytes", r.Case, r.WireBytes)
		}
	}
	gw := &GatewayProcess{Process: &Process{Proc: *self}, GRPCAddr: ip.grpcAddr, HTTPAddr: ip.httpAddr}
	scfg := SizingConfig{Streams: 50, Hold: 500 * time.Millisecond}
	srows, err := RunSizing(ctx, ip.sess, gw, scfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(srows) != 2 || srows[0].Path != GRPC || srows[1].Path != REST || srows[0].PeakRSS < srows[0].IdleRSS/2 {
		t.Errorf("sizing rows %+v", srows)
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
		Unary: rows, Paginate: prows, SizingConfig: scfg, Sizing: srows}
	r.Verdicts = Evaluate(r)
	var text, md bytes.Buffer
	r.WriteText(&text)
	r.WriteMarkdown(&md)
	for _, want := range []string{"1. The hop against the floor", "Sizing", "2. Streaming pagination", "Targets", "floor (ReverseProxy)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	for _, want := range []string{"# Benchmarks", "## Targets", "## 1. The hop against the floor", "## Sizing", "memory per 1,000 concurrent calls",
		"## 2. Streaming pagination", "| 1KiB | grpc | 4 |", "| 1KiB | replay | 1 |", "| 1KiB | gateway gRPC hop like for like", "| 1KiB | gateway REST |", "## Profile findings"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// TestFilesInProcess runs the file scenario, 1 MiB, with every API over every path against an
// in-process sandbox and gateway over real sockets: every transfer is checked byte for byte.
func TestFilesInProcess(t *testing.T) {
	ip := startInProcess(t)
	self := &GatewayProcess{Process: &Process{Proc: Proc{PID: os.Getpid()}}, GRPCAddr: ip.grpcAddr, HTTPAddr: ip.httpAddr}
	start := func(context.Context) (*GatewayProcess, error) { return self, nil }
	var rows []FileRow
	for _, cfg := range []FilesConfig{
		{Sizes: []int{1 << 20}, Paths: []Path{Direct, GRPC, REST}, APIs: []string{Stream, Buffered}, Repeats: 2},
		// A size that is not a multiple of the chunk size.
		{Sizes: []int{100_001}, Paths: []Path{Direct, GRPC, REST}, APIs: []string{Stream}, Repeats: 1},
	} {
		r, err := RunFiles(context.Background(), ip.sess, start, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
	}
	if len(rows) != 18 {
		t.Fatalf("%d rows, want 2 directions × (2 APIs + 1 API) × 3 paths", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		key := fmt.Sprintf("%d/%s/%s/%s", r.Size, r.Direction, r.API, r.Path)
		seen[key] = true
		if len(r.Times) == 0 || r.Throughput() <= 0 {
			t.Errorf("%s: times %v", key, r.Times)
		}
		if r.Path != Direct && r.GatewayPeakRSS <= 0 {
			t.Errorf("%s: no peak RSS", key)
		}
	}
	if len(seen) != 18 {
		t.Errorf("rows %v", seen)
	}
}

// TestFileChecks: a transfer that lost or changed bytes fails the row instead of becoming a number.
func TestFileChecks(t *testing.T) {
	data := payload(1000, "x")
	want := fileSums{size: 1000, sha256: sha256.Sum256(data), md5: fmt.Sprintf("%x", md5.Sum(data))}
	flipped := bytes.Clone(data)
	flipped[500] ^= 1
	streamed := func(b []byte) Result {
		h := newHashed()
		h.Write(b)
		return h.result()
	}
	tests := []struct {
		name     string
		upload   bool
		r        Result
		wantFail bool
	}{
		{"buffered download", false, Result{IsFile: true, FileBytes: 1000, FileData: data}, false},
		{"streamed download", false, streamed(data), false},
		{"buffered download, one bit changed", false, Result{IsFile: true, FileBytes: 1000, FileData: flipped}, true},
		{"streamed download, one bit changed", false, streamed(flipped), true},
		{"streamed download, truncated", false, streamed(data[:999]), true},
		{"download answered JSON", false, Result{Items: 3}, true},
		{"upload", true, Result{Object: map[string]any{"size": 1000.0, "md5Checksum": want.md5}}, false},
		{"upload, size as json.Number", true, Result{Object: map[string]any{"size": json.Number("1000"), "md5Checksum": want.md5}}, false},
		{"upload, wrong size", true, Result{Object: map[string]any{"size": 999.0, "md5Checksum": want.md5}}, true},
		{"upload, wrong MD5", true, Result{Object: map[string]any{"size": 1000.0, "md5Checksum": "00"}}, true},
		{"upload answered a file", true, Result{IsFile: true, FileBytes: 1000}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := want.checkDownload
			if tt.upload {
				check = want.checkUpload
			}
			if err := check(tt.r); (err != nil) != tt.wantFail {
				t.Errorf("check = %v, want failure %v", err, tt.wantFail)
			}
		})
	}
}

// TestMultipartBody: the streamed REST upload body is a well-formed form whose announced length is
// its length, with the request part first and the files' bytes unchanged.
func TestMultipartBody(t *testing.T) {
	tests := []struct {
		name  string
		files []FileUpload
	}{
		{"no file", nil},
		{"one file", []FileUpload{{Parameter: "file", Filename: "a.bin", ContentType: "application/octet-stream", Data: payload(70000, "a")}}},
		{"two files", []FileUpload{
			{Parameter: "files", Filename: "a.txt", ContentType: "text/plain", Data: []byte("hello")},
			{Parameter: "files", Filename: "b \"q\".bin", ContentType: "application/octet-stream", Data: []byte{}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct, n, err := multipartBody(tt.files, func(w *multipart.Writer) error { return w.WriteField("request", `{"input":{}}`) })
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(body)
			if err != nil || int64(len(raw)) != n {
				t.Fatalf("read %d bytes (%v), announced %d", len(raw), err, n)
			}
			_, params, err := mime.ParseMediaType(ct)
			if err != nil {
				t.Fatal(err)
			}
			r := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
			p, err := r.NextPart()
			if err != nil || p.FormName() != "request" {
				t.Fatalf("first part %v, %v", p, err)
			}
			for i, f := range tt.files {
				p, err := r.NextPart()
				if err != nil {
					t.Fatalf("file %d: %v", i, err)
				}
				got, _ := io.ReadAll(p)
				if p.FormName() != f.Parameter || p.FileName() != f.Filename || p.Header.Get("Content-Type") != f.ContentType || !bytes.Equal(got, f.Data) {
					t.Errorf("file %d: part %q %q %q, %d bytes", i, p.FormName(), p.FileName(), p.Header.Get("Content-Type"), len(got))
				}
			}
			if _, err := r.NextPart(); err != io.EOF {
				t.Errorf("after the files: %v, want EOF", err)
			}
		})
	}
}

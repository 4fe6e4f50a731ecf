package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"

	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// TestLargeBodiesBoundedMemory runs the real binary with its default limits and sends it, without
// credentials, eight concurrent 85 MB REST bodies with a Content-Length, eight sent chunked, and
// eight 85 MB gRPC messages: every one is refused with the documented error (REST: 413,
// REQUEST_TOO_LARGE naming --max-json-body-bytes; gRPC: grpc-go's RESOURCE_EXHAUSTED naming the
// size and --max-message-bytes), and the process's peak RSS (VmHWM) stays under 100 MB.
func TestLargeBodiesBoundedMemory(t *testing.T) {
	bin := buildGateway(t)
	sb := sandbox.NewServer()
	t.Cleanup(sb.Close)
	cmd := exec.Command(bin, "--upstream-url", sb.URL, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = append(os.Environ(), "BOSA_API_KEY="+sandbox.DemoAPIKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var grpcAddr, httpAddr string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "gateway serving" {
			grpcAddr, httpAddr = line["grpc"].(string), line["http"].(string)
			break
		}
	}
	if grpcAddr == "" {
		t.Fatal("the gateway did not report its addresses")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()

	const size, parallel = 85_000_000, 8
	jsonLimit, msgLimit := strconv.Itoa(server.DefaultMaxJSONBodyBytes), strconv.Itoa(server.DefaultMaxMessageBytes)
	url := "http://" + httpAddr + "/v1/connectors/google_drive/actions/upload_file:execute"
	postREST := func(chunked bool) error {
		body := largeJSON(size)
		if chunked {
			body = io.MultiReader(body) // hides the length: net/http sends it chunked
		}
		req, err := http.NewRequest(http.MethodPost, url, body)
		if err != nil {
			return err
		}
		if !chunked {
			req.ContentLength = size
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			return fmt.Errorf("HTTP %d %.300s, want 413", resp.StatusCode, b)
		}
		var st spb.Status
		if err := protojson.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("body %.300s: %w", b, err)
		}
		return wantTooLarge(status.FromProto(&st), jsonLimit)
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallSendMsgSize(2*size)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// One ExecuteActionRequest{files: [{data: 85 MB}]} in wire form, shared by every call.
	file := protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), bytes.Repeat([]byte{'x'}, size))
	msg := protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), file)
	callGRPC := func() error {
		var out []byte
		err := conn.Invoke(context.Background(), "/bosa.v1.ActionService/ExecuteAction", msg, &out)
		st := status.Convert(err)
		if want := " vs. " + msgLimit + ")"; st.Code() != codes.ResourceExhausted ||
			!strings.HasPrefix(st.Message(), "grpc: received message larger than max (") || !strings.HasSuffix(st.Message(), want) {
			return fmt.Errorf("gRPC: %v, want RESOURCE_EXHAUSTED \"grpc: received message larger than max (<size>%s\"", err, want)
		}
		return nil
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"REST with Content-Length", func() error { return postREST(false) }},
		{"gRPC", callGRPC},
		{"REST chunked", func() error { return postREST(true) }},
	} {
		// Each case's peak is its own: VmHWM is reset to the current RSS first (Linux ≥ 4.0).
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", cmd.Process.Pid), []byte("5"), 0); err != nil {
			t.Fatalf("reset the peak RSS: %v", err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, parallel)
		for range parallel {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- tc.call() }()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		peak := vmHWM(t, cmd.Process.Pid)
		t.Logf("after %d × %d bytes, %s: gateway peak RSS %.1f MB", parallel, size, tc.name, float64(peak)/1e6)
		if peak >= 100e6 {
			t.Errorf("after %s: gateway peak RSS %d bytes, want < 100 MB", tc.name, peak)
		}
	}
}

// wantTooLarge checks a REQUEST_TOO_LARGE status naming the JSON body limit.
func wantTooLarge(st *status.Status, limit string) error {
	if st.Code() != codes.ResourceExhausted {
		return fmt.Errorf("code %v (%s), want RESOURCE_EXHAUSTED", st.Code(), st.Message())
	}
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok && ei.GetReason() == "REQUEST_TOO_LARGE" &&
			ei.GetMetadata()["limit_bytes"] == limit && ei.GetMetadata()["limit"] == "--max-json-body-bytes" {
			return nil
		}
	}
	return fmt.Errorf("no ErrorInfo REQUEST_TOO_LARGE with limit_bytes %s and limit --max-json-body-bytes in %v", limit, st.Details())
}

// largeJSON is an ExecuteAction body of n bytes whose one file is n bytes of base64, generated as
// it is read.
func largeJSON(n int) io.Reader {
	head, tail := `{"files": [{"parameter": "file", "data": "`, `"}]}`
	return io.MultiReader(strings.NewReader(head), io.LimitReader(repeatByte('A'), int64(n-len(head)-len(tail))), strings.NewReader(tail))
}

type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// rawCodec sends []byte messages as they are (already protobuf wire bytes), so that eight calls
// share one buffer. It is named "proto", so the server decodes with its usual codec.
type rawCodec struct{}

var _ encoding.Codec = rawCodec{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// vmHWM returns the peak resident set size of process pid (VmHWM in /proc/<pid>/status).
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil || len(f) != 2 || f[1] != "kB" {
				t.Fatalf("malformed %q", line)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The unary cells are driven by established load tools, never by this package's own loop: wrk
// (HTTP/1.1 keep-alive, Debian package) for the HTTP paths and ghz (pinned by the Makefile) for the
// gRPC ones. Both run closed loops of conc connections (wrk) or concurrent calls on one connection
// (ghz) for a fixed duration, and report percentiles over every call of the run.

// Tools are the paths of the load tools' binaries.
type Tools struct{ WRK, GHZ string }

// Check fails when a tool is missing, saying how to get it.
func (t Tools) Check() error {
	var errs []error
	if _, err := exec.LookPath(t.WRK); err != nil {
		errs = append(errs, fmt.Errorf("wrk: %w (apt-get install wrk; `make bench` does it)", err))
	}
	if _, err := exec.LookPath(t.GHZ); err != nil {
		errs = append(errs, fmt.Errorf("ghz: %w (go install github.com/bojand/ghz/cmd/ghz@%s; `make bench` does it)", err, GHZVersion))
	}
	return errors.Join(errs...)
}

// GHZVersion is the ghz release the Makefile installs.
const GHZVersion = "v0.93.0"

// HTTPTarget is one HTTP request, sent over and over by wrk.
type HTTPTarget struct {
	URL     string
	Method  string
	Headers map[string]string
	Body    []byte
}

// GRPCTarget is one gRPC call, sent over and over by ghz (the method is found through the
// server's reflection service).
type GRPCTarget struct {
	Addr     string
	Method   string // e.g. bosa.v1.ActionService.ExecuteAction
	Data     []byte // the request message as JSON
	Metadata map[string]string
}

// LoadResult is what one load tool run measured.
type LoadResult struct {
	Concurrency int
	Calls       int           // successful calls of the measured run
	Elapsed     time.Duration // length of the measured run
	Percentiles map[float64]time.Duration
	// Cut counts calls the tool itself cancelled when the duration ended (ghz; not errors).
	Cut int
	// ToolCPU is the CPU time (user + system) the tool's process used.
	ToolCPU time.Duration
}

// Throughput returns successful calls per second.
func (r LoadResult) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

// P returns the p-th percentile latency (the tools report 50, 90 and 99), or 0 when not reported.
func (r LoadResult) P(p float64) time.Duration { return r.Percentiles[p] }

// wrkScript sets the request and prints the run's numbers in one line that runWRK parses.
const wrkScript = `wrk.method = %s
wrk.body = %s
%s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BOSA-BENCH requests=%%d duration_us=%%d status=%%d connect=%%d read=%%d write=%%d timeout=%%d p50_us=%%d p90_us=%%d p99_us=%%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
`

// luaString quotes s for Lua: a decimal escape per byte outside printable ASCII, so any bytes pass.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// RunWRK runs wrk against t with conc connections for d (whole seconds, at least 1) and returns its
// numbers. Any failed request (connection error, timeout, status other than 2xx/3xx) fails the run.
func (tl Tools) RunWRK(ctx context.Context, t HTTPTarget, conc int, d time.Duration, dir string) (LoadResult, error) {
	var headers strings.Builder
	for k, v := range t.Headers {
		fmt.Fprintf(&headers, "wrk.headers[%s] = %s\n", luaString(k), luaString(v))
	}
	method := t.Method
	if method == "" {
		method = "GET"
	}
	body := "nil"
	if t.Body != nil {
		body = luaString(string(t.Body))
	}
	script, err := os.CreateTemp(dir, "wrk-*.lua")
	if err != nil {
		return LoadResult{}, fmt.Errorf("bench: wrk script: %w", err)
	}
	defer os.Remove(script.Name())
	_, err = fmt.Fprintf(script, wrkScript, luaString(method), body, headers.String())
	if err := errors.Join(err, script.Close()); err != nil {
		return LoadResult{}, fmt.Errorf("bench: wrk script: %w", err)
	}
	secs := max(1, int((d+time.Second/2)/time.Second))
	threads := min(conc, 2)
	cmd := exec.CommandContext(ctx, tl.WRK, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conc), "-d", strconv.Itoa(secs)+"s",
		"--timeout", "10s", "-s", script.Name(), t.URL)
	out, err := cmd.Output()
	if err != nil {
		return LoadResult{}, fmt.Errorf("bench: wrk %s: %w", t.URL, commandError(err))
	}
	r, err := parseWRK(out, conc)
	r.ToolCPU = toolCPU(cmd)
	return r, err
}

// parseWRK reads the BOSA-BENCH line of wrk's output.
func parseWRK(out []byte, conc int) (LoadResult, error) {
	var line string
	for _, l := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(l, "BOSA-BENCH "); ok {
			line = rest
		}
	}
	if line == "" {
		return LoadResult{}, fmt.Errorf("bench: wrk printed no result: %s", truncate(out, 500))
	}
	v := map[string]int64{}
	for _, f := range strings.Fields(line) {
		k, s, ok := strings.Cut(f, "=")
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil {
			return LoadResult{}, fmt.Errorf("bench: wrk result %q: malformed field %q", line, f)
		}
		v[k] = n
	}
	for _, k := range []string{"requests", "duration_us", "p50_us", "p90_us", "p99_us"} {
		if _, ok := v[k]; !ok {
			return LoadResult{}, fmt.Errorf("bench: wrk result %q lacks %s", line, k)
		}
	}
	if failed := v["status"] + v["connect"] + v["read"] + v["write"] + v["timeout"]; failed > 0 {
		return LoadResult{}, fmt.Errorf("bench: wrk: %d of %d requests failed (%s)", failed, v["requests"], line)
	}
	us := func(k string) time.Duration { return time.Duration(v[k]) * time.Microsecond }
	return LoadResult{Concurrency: conc, Calls: int(v["requests"]), Elapsed: us("duration_us"),
		Percentiles: map[float64]time.Duration{50: us("p50_us"), 90: us("p90_us"), 99: us("p99_us")}}, nil
}

// RunGHZ runs ghz against t with conc concurrent calls on one connection for d and returns its
// numbers. Calls that fail fail the run, except those ghz cuts itself when the duration ends.
func (tl Tools) RunGHZ(ctx context.Context, t GRPCTarget, conc int, d time.Duration) (LoadResult, error) {
	args := []string{"--insecure", "--call", t.Method, "-c", strconv.Itoa(conc), "--connections", "1",
		"-z", d.String(), "-O", "json", "-d", string(t.Data)}
	if len(t.Metadata) > 0 {
		md, err := json.Marshal(t.Metadata)
		if err != nil {
			return LoadResult{}, err
		}
		args = append(args, "-m", string(md))
	}
	cmd := exec.CommandContext(ctx, tl.GHZ, append(args, t.Addr)...)
	out, err := cmd.Output()
	if err != nil {
		return LoadResult{}, fmt.Errorf("bench: ghz %s: %w", t.Method, commandError(err))
	}
	r, err := parseGHZ(out, conc)
	r.ToolCPU = toolCPU(cmd)
	return r, err
}

// ghzReport is the part of ghz's JSON report the harness reads.
type ghzReport struct {
	Count       int            `json:"count"`
	Total       time.Duration  `json:"total"`
	StatusCodes map[string]int `json:"statusCodeDistribution"`
	// Errors counts calls by error message.
	Errors              map[string]int `json:"errorDistribution"`
	LatencyDistribution []struct {
		Percentage float64       `json:"percentage"`
		Latency    time.Duration `json:"latency"`
	} `json:"latencyDistribution"`
}

func parseGHZ(out []byte, conc int) (LoadResult, error) {
	var rep ghzReport
	if err := json.Unmarshal(bytes.TrimSpace(out), &rep); err != nil {
		return LoadResult{}, fmt.Errorf("bench: ghz report: %w: %s", err, truncate(out, 500))
	}
	r := LoadResult{Concurrency: conc, Calls: rep.StatusCodes["OK"], Elapsed: rep.Total, Percentiles: map[float64]time.Duration{}}
	// ghz cancels the calls in flight when -z ends, and the next call of a worker may then meet the
	// closing connection: at most two per worker, the tool's, not the server's. Any other failure
	// fails the run.
	for msg, n := range rep.Errors {
		if strings.Contains(msg, "code = Canceled") || strings.Contains(msg, "transport is closing") {
			r.Cut += n
		}
	}
	if failed := rep.Count - r.Calls; failed > r.Cut || r.Cut > 2*conc {
		return r, fmt.Errorf("bench: ghz: %d of %d calls failed: %v", failed, rep.Count, rep.Errors)
	}
	for _, l := range rep.LatencyDistribution {
		if l.Percentage == 50 || l.Percentage == 90 || l.Percentage == 99 {
			r.Percentiles[l.Percentage] = l.Latency
		}
	}
	if r.Calls == 0 || len(r.Percentiles) != 3 {
		return r, fmt.Errorf("bench: ghz report without calls or percentiles: %s", truncate(out, 500))
	}
	return r, nil
}

// toolCPU returns the CPU time an exited command used.
func toolCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// ToolPaths returns the tools to use: the given paths, else ghz from the directory of the other
// binaries (where the Makefile installs it) or $PATH, and wrk from $PATH.
func ToolPaths(binDir, wrk, ghz string) Tools {
	if ghz == "" {
		ghz = "ghz"
		if p := filepath.Join(binDir, "ghz"); fileExists(p) {
			ghz = p
		}
	}
	if wrk == "" {
		wrk = "wrk"
	}
	return Tools{WRK: wrk, GHZ: ghz}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"bosa.dev/gateway/sandbox"
)

// Process is a child process started by the harness: the sandbox or the gateway.
type Process struct {
	Proc
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // exit status, valid after done is closed
}

func start(name string, cmd *exec.Cmd) (*Process, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	p := &Process{Proc: Proc{PID: cmd.Process.Pid}, name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Stop sends SIGTERM and waits up to 10 s for the process to exit, then kills it. A Process the
// harness did not start (no command, as in the in-process tests) is left alone.
func (p *Process) Stop() error {
	if p.cmd == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("bench: %s did not stop on SIGTERM; killed", p.name)
	}
}

// exited reports the process's exit error when it has already exited.
func (p *Process) exited() error {
	select {
	case <-p.done:
		if p.err == nil {
			return fmt.Errorf("bench: %s exited", p.name)
		}
		return fmt.Errorf("bench: %s exited: %w", p.name, p.err)
	default:
		return nil
	}
}

// SandboxProcess is a running bosa-sandbox binary.
type SandboxProcess struct {
	*Process
	URL string // base URL, http://127.0.0.1:port
}

// StartSandbox runs the bosa-sandbox binary on a free loopback port with the fault-control surface
// on; its log goes to logPath.
func StartSandbox(ctx context.Context, bin, logPath string) (*SandboxProcess, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: sandbox log: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--control", "--max-upload", fmt.Sprint(64<<20))
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: sandbox stdout: %w", err)
	}
	p, err := start("bosa-sandbox", cmd)
	if err != nil {
		return nil, err
	}
	u, err := waitForLine(ctx, p, out, "BOSA sandbox serving on ")
	if err != nil {
		return nil, err
	}
	return &SandboxProcess{Process: p, URL: u}, nil
}

// FloorProcess is a running floor proxy (ServeFloorProxy in a bosa-bench process).
type FloorProcess struct {
	*Process
	URL string
}

// StartFloorProxy runs `benchBin -floor-proxy upstream` and waits for its address.
func StartFloorProxy(ctx context.Context, benchBin, upstream, logPath string) (*FloorProcess, error) {
	p, u, err := startHelper(ctx, "floor proxy", exec.Command(benchBin, "-floor-proxy", upstream), logPath, "floor proxy serving on ")
	if err != nil {
		return nil, err
	}
	return &FloorProcess{Process: p, URL: u}, nil
}

// startHelper starts cmd (a bosa-bench serving something, its stderr to logPath) and returns the
// rest of the first line of its stdout that starts with prefix: the address it serves on.
func startHelper(ctx context.Context, name string, cmd *exec.Cmd, logPath, prefix string) (*Process, string, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", fmt.Errorf("bench: %s log: %w", name, err)
	}
	defer logf.Close()
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", fmt.Errorf("bench: %s stdout: %w", name, err)
	}
	p, err := start(name, cmd)
	if err != nil {
		return nil, "", err
	}
	addr, err := waitForLine(ctx, p, out, prefix)
	if err != nil {
		return nil, "", err
	}
	return p, addr, nil
}

// waitForLine returns the rest of the first line of out that starts with prefix, within 10 s.
func waitForLine(ctx context.Context, p *Process, out io.Reader, prefix string) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				select {
				case found <- strings.TrimSpace(rest):
				default: // only the first counts
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-found:
		return u, nil
	case <-p.done:
		return "", p.exited()
	case <-time.After(10 * time.Second):
		_ = p.Stop()
		return "", fmt.Errorf("bench: %s did not report its address within 10 s", p.name)
	case <-ctx.Done():
		_ = p.Stop()
		return "", ctx.Err()
	}
}

// GatewayProcess is a running bosa-gateway binary.
type GatewayProcess struct {
	*Process
	GRPCAddr, HTTPAddr string
}

// StartGateway runs the bosa-gateway binary on free loopback ports with upstreamURL as BOSA_API_URL
// and the sandbox's demo key as BOSA_API_KEY, logging (JSON, default level info) to logPath. env
// ("KEY=value") is added to the environment, e.g. GOMAXPROCS=1.
func StartGateway(ctx context.Context, bin, upstreamURL, logPath string, env ...string) (*GatewayProcess, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: gateway log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = append(append(os.Environ(), "BOSA_API_URL="+upstreamURL, "BOSA_API_KEY="+sandbox.DemoAPIKey), env...)
	cmd.Stdout = io.Discard
	cmd.Stderr = logf
	p, err := start("bosa-gateway", cmd)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if g := gatewayAddrs(logPath); g != nil {
			g.Process = p
			return g, nil
		}
		if err := p.exited(); err != nil {
			return nil, fmt.Errorf("%w (log: %s)", err, logPath)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = p.Stop()
			return nil, fmt.Errorf("bench: gateway not serving within 15 s (log: %s)", logPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gatewayAddrs finds the "gateway serving" JSON log line and returns the bound addresses.
func gatewayAddrs(logPath string) *GatewayProcess {
	f, err := os.Open(logPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Msg  string `json:"msg"`
			GRPC string `json:"grpc"`
			HTTP string `json:"http"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "gateway serving" && line.GRPC != "" && line.HTTP != "" {
			return &GatewayProcess{GRPCAddr: line.GRPC, HTTPAddr: line.HTTP}
		}
	}
	return nil
}

// Binaries locates the binaries the harness runs.
type Binaries struct{ Dir string }

// Sandbox returns the path of bosa-sandbox.
func (b Binaries) Sandbox() string { return filepath.Join(b.Dir, "bosa-sandbox") }

// Gateway returns the path of bosa-gateway.
func (b Binaries) Gateway() string { return filepath.Join(b.Dir, "bosa-gateway") }

// Bench returns the path of bosa-bench (which serves the floor proxy).
func (b Binaries) Bench() string { return filepath.Join(b.Dir, "bosa-bench") }

// The runs of the pages' shell examples: servers built and started as the pages say, scripts run with bash.

package docs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"bosa.dev/gateway/internal/logbuf"
)

// exampleRun is one bash session of TestShellExamples: before runs first, then server starts,
// then scripts run in order in one bash, against it.
type exampleRun struct {
	name string
	// before is a script (under examples/) that prepares the server's files; optional.
	before string
	// server is the page's command line that starts the server.
	server string
	// scripts are the scripts (under examples/) run in one bash, in order.
	scripts []string
	// files are files under examples/ the scripts read, copied into their directory.
	files []string
	// repo are repository paths the scripts use, copied into their directory (without build output).
	repo []string
	// fails are the commands expected to fail: a part of the command and its exit status.
	fails map[string]int
}

// runs are the shell examples of the pages, each with the server the page starts for it.
var runs = []exampleRun{
	{
		name:    "api quick start and files",
		server:  "go run ./cmd/bosa-gateway --sandbox",
		scripts: []string{"quickstart-grpc.sh", "filters.sh", "quickstart-rest.sh", "rest-errors.sh", "files-grpc.sh", "files-rest.sh"},
		files:   []string{"filters.json"},
		// grpcurl exits with 64 + the gRPC code (NOT_FOUND: 69), and go run, which runs it, with 1.
		fails: map[string]int{`"repo": "nope"`: 1},
	},
	{
		name:    "sandbox walk-through",
		server:  "go run ./cmd/bosa-sandbox --control",
		scripts: []string{"sandbox-walkthrough.sh"},
	},
	{
		name:    "sandbox clients file",
		before:  "sandbox-clients-file.sh",
		server:  "go run ./cmd/bosa-sandbox --clients-file /tmp/clients.json",
		scripts: []string{"sandbox-clients.sh"},
	},
	{
		name:    "python client install",
		server:  "go run ./cmd/bosa-gateway --sandbox",
		scripts: []string{"python-install.sh"},
		repo:    []string{"clients/python"},
	},
	{
		name:    "typescript client install",
		server:  "go run ./cmd/bosa-gateway --sandbox",
		scripts: []string{"typescript-install.sh"},
		// The build embeds the service config from proto/.
		repo: []string{"clients/typescript", "proto/bosa/v1/service_config.json"},
	},
	{
		name:    "rate limit",
		server:  "go run ./cmd/bosa-gateway --sandbox --max-upstream-concurrency 16 --rate-limit 20 --rate-burst 40",
		scripts: []string{"rate-limit.sh"},
	},
	{
		name:    "mutual TLS",
		before:  "tls-certs.sh",
		server:  "go run ./cmd/bosa-gateway --sandbox --tls-cert server.pem --tls-key server-key.pem --tls-client-ca ca.pem",
		scripts: []string{"tls.sh"},
	},
}

// pageAddrs are the addresses the pages use, replaced in scripts by the ones the servers got.
const (
	pageGRPC    = "127.0.0.1:50051"
	pageHTTP    = "127.0.0.1:8080"
	pageSandbox = "127.0.0.1:8765"
	pageTmp     = "/tmp/"
)

// TestShellExamples runs every run of the pages' shell examples: it builds the binaries, starts the
// page's server on free ports, runs the scripts with bash and checks the outputs the pages show (the
// scripts' .output and .printed files, and their "# {" comment lines) and that only the expected
// commands fail.
func TestShellExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the shell examples need %s: %v", tool, err)
		}
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) { runExample(t, r) })
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the commands once per test process, into a directory TestMain removes.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "bosa-docs-bin-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir, "bosa.dev/gateway/cmd/bosa-gateway", "bosa.dev/gateway/cmd/bosa-sandbox").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func runExample(t *testing.T, r exampleRun) {
	bin := binaries(t)
	dir := t.TempDir()
	for _, f := range r.files {
		b, err := os.ReadFile(filepath.Join("examples", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range r.repo {
		copyTree(t, filepath.Join("..", p), filepath.Join(dir, p))
	}
	replace := strings.NewReplacer(pageTmp, dir+"/")
	if r.before != "" {
		script := replace.Replace(readGlobs(t, filepath.Join("examples", r.before)))
		if out, err := bash(t, dir, "set -euo pipefail\n"+script, nil); err != nil {
			t.Fatalf("%s: %v\n%s", r.before, err, out)
		}
	}
	srv := startServer(t, bin, dir, replace.Replace(r.server))
	replace = srv.replacer(dir, false)

	var script strings.Builder
	var comments, outputs []string
	for _, s := range r.scripts {
		text := readGlobs(t, filepath.Join("examples", s))
		script.WriteString(replace.Replace(text))
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "# {") {
				comments = append(comments, strings.TrimPrefix(line, "# "))
			}
		}
		if out, err := os.ReadFile(filepath.Join("examples", strings.TrimSuffix(s, ".sh")+".output")); err == nil {
			outputs = append(outputs, string(out))
		}
	}
	fails := filepath.Join(dir, "failed-commands")
	// Every failing command is recorded with its line; the run then goes on, as a reader's terminal would.
	text := "set -uo pipefail\ntrap 'echo \"$? $LINENO\" >> \"$DOCS_FAILS\"' ERR\n" + script.String()
	out, err := bash(t, dir, text, []string{"DOCS_FAILS=" + fails})
	if err != nil && !isExit(err) {
		t.Fatalf("bash: %v", err)
	}
	if len(comments) > 0 {
		if miss := missingLines(strings.Join(comments, "\n"), out); miss != "" {
			t.Errorf("the output lacks %q (shown as a comment in the script):\n%s", miss, out)
		}
	}
	for _, want := range outputs {
		if miss := missingLines(want, out); miss != "" {
			t.Errorf("the output lacks %q (or not in the order the page shows):\n%s", miss, out)
		}
	}
	if printed, err := os.ReadFile(filepath.Join("examples", strings.TrimSuffix(r.scripts[0], ".sh")+".printed")); err == nil {
		srv.stop()
		got := srv.replacer(dir, true).Replace(srv.stdout.String())
		if miss := missingLines(string(printed), got); miss != "" {
			t.Errorf("the server's output lacks %q:\n%s", miss, got)
		}
	}
	failed, _ := os.ReadFile(fails)
	checkFailures(t, string(failed), strings.Split(text, "\n"), r.fails, out)
}

// buildOutput are names in the repository's client folders that installs and builds write: copyTree leaves
// them out, so a run starts from what git holds and never shares them with another suite.
var buildOutput = regexp.MustCompile(`^(\.venv|node_modules|__pycache__|build|dist|build-test|.*\.egg-info|.*\.tgz|serviceconfig\.gen\.ts)$`)

// copyTree copies the file or directory from to to, without build output.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if buildOutput.MatchString(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dest := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dest, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dest, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", from, err)
	}
}

// checkFailures compares the commands that failed (records "status line", numbering the lines of
// script) with the expected ones.
func checkFailures(t *testing.T, failed string, script []string, want map[string]int, out string) {
	t.Helper()
	seen := map[string]bool{}
	for _, record := range strings.Split(strings.TrimSpace(failed), "\n") {
		if record == "" {
			continue
		}
		status, lineno, _ := strings.Cut(record, " ")
		cmd := "line " + lineno
		if n, err := strconv.Atoi(lineno); err == nil && n >= 1 && n <= len(script) {
			cmd = script[n-1]
		}
		ok := false
		for part, code := range want {
			if strings.Contains(cmd, part) && status == fmt.Sprint(code) {
				ok, seen[part] = true, true
			}
		}
		if !ok {
			t.Errorf("a command failed with status %s: %s\noutput:\n%s", status, cmd, out)
		}
	}
	for part, code := range want {
		if !seen[part] {
			t.Errorf("the command with %s did not fail with status %d", part, code)
		}
	}
}

func isExit(err error) bool {
	_, ok := err.(*exec.ExitError)
	return ok
}

// bash runs a script in dir and returns its combined output.
func bash(t *testing.T, dir, script string, env []string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// server is a started gateway or sandbox: the addresses it listens on and what it prints.
type server struct {
	grpc, http, sandbox string
	// stdout is what the server printed, all of it once stop has returned.
	stdout *logbuf.Buffer
	// stop kills the server and waits until its output is read; calling it again does nothing more.
	stop func()
}

// replacer turns the page's addresses and /tmp/ into the server's and the run's directory, or back.
func (s *server) replacer(dir string, back bool) *strings.Replacer {
	var pairs []string
	for _, p := range [][2]string{{pageTmp, dir + "/"}, {pageGRPC, s.grpc}, {pageHTTP, s.http}, {pageSandbox, s.sandbox}} {
		if p[1] == "" {
			continue
		}
		if back {
			p[0], p[1] = p[1], p[0]
		}
		pairs = append(pairs, p[0], p[1])
	}
	return strings.NewReplacer(pairs...)
}

var (
	gatewayReady = regexp.MustCompile(`REST \(https?://([^)]+)\)`)
	gatewayGRPC  = regexp.MustCompile(`gRPC \(([^)]+)\)`)
	sandboxReady = regexp.MustCompile(`serving on http://(127\.0\.0\.1:\d+)`)
)

// startServer starts `go run ./cmd/NAME ARGS` as the built binary, in dir, on free ports (the
// listen addresses come from the environment, so the page's arguments stay as they are), and waits
// until it prints where it listens. It stops at the end of the test.
func startServer(t *testing.T, bin, dir, line string) *server {
	t.Helper()
	args := strings.Fields(line)
	if len(args) < 3 || args[0] != "go" || args[1] != "run" || !strings.HasPrefix(args[2], "./cmd/") {
		t.Fatalf("%q does not start a server with go run ./cmd/...", line)
	}
	name := strings.TrimPrefix(args[2], "./cmd/")
	cmd := exec.Command(filepath.Join(bin, name), args[3:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BOSA_GRPC_ADDR=127.0.0.1:0", "BOSA_HTTP_ADDR=127.0.0.1:0", "BOSA_SANDBOX_ADDR=127.0.0.1:0")
	var stderr logbuf.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	srv := &server{stdout: &logbuf.Buffer{}}
	read := make(chan struct{})
	srv.stop = func() {
		_ = cmd.Process.Kill()
		<-read // the pipe ends when the process has gone
		_ = cmd.Wait()
	}
	t.Cleanup(srv.stop)
	lines := bufio.NewScanner(stdout)
	// The rest of its output is read on, with the same scanner (it may hold lines already read from the
	// pipe): it is checked against the page, and a full pipe would block the server.
	readRest := func() {
		defer close(read)
		for lines.Scan() {
			srv.stdout.Write([]byte(lines.Text() + "\n"))
		}
		_, _ = io.Copy(io.Discard, stdout)
	}
	for lines.Scan() {
		srv.stdout.Write([]byte(lines.Text() + "\n"))
		text := srv.stdout.String()
		if m := sandboxReady.FindStringSubmatch(text); m != nil && name == "bosa-sandbox" {
			srv.sandbox = m[1]
		}
		if m := gatewayReady.FindStringSubmatch(text); m != nil {
			srv.http, srv.grpc = m[1], gatewayGRPC.FindStringSubmatch(text)[1]
		}
		if srv.sandbox != "" || srv.http != "" {
			go readRest()
			return srv
		}
	}
	close(read)
	t.Fatalf("%s printed no address (%v); stderr:\n%s", line, lines.Err(), stderr.String())
	return nil
}

// missingLines returns the first line of want that got lacks, "" when got has every line of want in
// order. Lines are compared without their spaces (protojson varies them on purpose); "…" in a line of
// want stands for any text within one line, and a line that is only "…" for any lines.
func missingLines(want, got string) string {
	gotLines := strings.Split(got, "\n")
	pos := 0
	for _, w := range strings.Split(want, "\n") {
		pattern := squeeze(w)
		if pattern == "" || pattern == "…" {
			continue
		}
		found := false
		for ; pos < len(gotLines); pos++ {
			if lineMatches(pattern, squeeze(gotLines[pos])) {
				found = true
				pos++
				break
			}
		}
		if !found {
			return strings.TrimSpace(w)
		}
	}
	return ""
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

// lineMatches reports whether line matches pattern, in which "…" stands for any text.
func lineMatches(pattern, line string) bool {
	pieces := strings.Split(pattern, "…")
	if len(pieces) == 1 {
		return pattern == line
	}
	if !strings.HasPrefix(line, pieces[0]) {
		return false
	}
	line = line[len(pieces[0]):]
	last := pieces[len(pieces)-1]
	for _, p := range pieces[1 : len(pieces)-1] {
		i := strings.Index(line, p)
		if i < 0 {
			return false
		}
		line = line[i+len(p):]
	}
	return strings.HasSuffix(line, last)
}

// TestMissingLines checks how a run's output is compared with what a page shows.
func TestMissingLines(t *testing.T) {
	got := "go: downloading x\n{\n  \"a\":  1,\n  \"token\": \"eyJabc\"\n}\n     42 200\nexit status 69\n"
	for _, tc := range []struct {
		name, want, missing string
	}{
		{"lines in order, spaces ignored", "{\n\"a\": 1,\n}\n", ""},
		{"… within a line", "  \"token\": \"eyJ…\"\n     … 200\n", ""},
		{"… alone skips lines", "{\n  …\n}\nexit status 69\n", ""},
		{"a line not there", "{\n  \"b\": 2,\n", `"b": 2,`},
		{"out of order", "exit status 69\n{\n", "{"},
		{"… does not match across lines", "{…}\n", "{…}"},
		{"prefix only is no match", "exit status\n", "exit status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m := missingLines(tc.want, got); m != tc.missing {
				t.Errorf("missingLines = %q, want %q", m, tc.missing)
			}
		})
	}
}

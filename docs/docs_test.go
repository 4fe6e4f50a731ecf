// Package docs holds the repository's reference pages; its test keeps their code examples honest.
package docs

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exampleFiles are the files whose code the pages may show: each runs in a test suite
// (Go Example functions check their output; the Python and TypeScript suites run their examples
// against a real gateway and also check that docs/clients.md shows their output).
var exampleFiles = []string{
	"../bosaclient/example_test.go",
	"../sandbox/example_test.go",
	"../shape/example_test.go",
	"../clients/goexample/example_test.go",
	"../clients/gatewayclient/example_test.go",
	"../clients/python/examples/*.py",
	"../clients/typescript/examples/*.ts",
}

// codeBlock is a fenced block in a language that has runnable example files.
var codeBlock = regexp.MustCompile("(?s)```(go|python|ts)\n(.*?)```")

// TestCodeBlocksAreExampleFiles fails when README.md or a page under docs/ shows Go, Python or
// TypeScript code that is not, verbatim, part of an example file a test runs.
func TestCodeBlocksAreExampleFiles(t *testing.T) {
	var examples strings.Builder
	for _, pattern := range exampleFiles {
		paths, err := filepath.Glob(pattern)
		if err != nil || len(paths) == 0 {
			t.Fatalf("no example file matches %s", pattern)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			examples.Write(b)
		}
	}
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, "../README.md")
	blocks := 0
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeBlock.FindAllStringSubmatch(string(b), -1) {
			blocks++
			if !strings.Contains(examples.String(), m[2]) {
				t.Errorf("%s: a %s block is not part of any example file:\n%s", page, m[1], m[2])
			}
		}
	}
	// go-client.md alone shows 10 Example functions; fewer means the pattern stopped matching.
	if blocks < 10 {
		t.Fatalf("found %d code blocks, want at least 10", blocks)
	}
}

// TestSandboxWalkthrough runs the shell blocks of docs/sandbox.md from "Walk-through with curl" up to
// "In Go tests", in order and in one bash, against a sandbox started as the page says (with --control, on a
// free port instead of 8765), and checks the outputs the page shows as "# {...}" comment lines.
func TestSandboxWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the docs/sandbox.md walk-through needs %s: %v", tool, err)
		}
	}
	doc, err := os.ReadFile("sandbox.md")
	if err != nil {
		t.Fatal(err)
	}
	page := string(doc)
	from, to := strings.Index(page, "## Walk-through with curl"), strings.Index(page, "## In Go tests")
	if from < 0 || to < from {
		t.Fatal(`docs/sandbox.md lacks the "Walk-through with curl" or "In Go tests" section`)
	}
	var script strings.Builder
	var want []string
	script.WriteString("set -euo pipefail\n")
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(page[from:to], -1) {
		script.WriteString(m[1])
		for _, line := range strings.Split(m[1], "\n") {
			if strings.HasPrefix(line, "# {") {
				want = append(want, strings.TrimPrefix(line, "# "))
			}
		}
	}
	if len(want) < 2 {
		t.Fatalf("found %d expected outputs in the walk-through, want the 2 error bodies", len(want))
	}

	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir, "bosa.dev/gateway/cmd/bosa-sandbox")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	url := startSandbox(t, filepath.Join(dir, "bosa-sandbox"), "--addr", "127.0.0.1:0", "--control")

	text := strings.ReplaceAll(script.String(), "B=http://127.0.0.1:8765", "B="+url)
	text = strings.ReplaceAll(text, "/tmp/", dir+"/")
	cmd := exec.Command("bash", "-c", text)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walk-through failed: %v\n%s", err, out)
	}
	for _, w := range append(want, "downloaded bytes are identical") {
		if !strings.Contains(string(out), w) {
			t.Errorf("the walk-through's output lacks %q:\n%s", w, out)
		}
	}
}

// startSandbox runs the sandbox binary until the test ends and returns the URL it prints.
func startSandbox(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if u := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(lines.Text()); u != "" {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return u
		}
	}
	t.Fatalf("the sandbox printed no URL (%v)", lines.Err())
	return ""
}

// Package docs holds the repository's reference pages; its tests keep their examples honest.
//
// Every fenced block of README.md and docs/*.md names its language, and each kind has one rule:
//
//   - go, python, ts: the block is, verbatim, part of an example file that a test suite runs
//     (exampleFiles; TestCodeBlocksAreExampleFiles).
//   - sh, bash, shell, console: every line of the block is one of
//     1. part of a script under docs/examples/ that TestShellExamples runs with bash against real
//     processes (each chunk of consecutive lines is, verbatim, in a script of a run);
//     2. the command that starts the server of such a run (`go run ./cmd/bosa-gateway --sandbox …`,
//     `go run ./cmd/bosa-sandbox …`): the run builds that command into a temporary directory and
//     starts it with exactly those arguments, on free ports;
//     3. `make [VAR=value…] target…`, each target a rule of the Makefile: CI runs `make test`, and
//     the targets are the project's commands;
//     4. a Kubernetes command (kubectl, helm), which needs a cluster: the block is, verbatim, in the
//     header comment of a values file under deploy/helm/examples/ that deploy/helm's TestChart
//     renders, its `helm install` names that file, and the Secrets it creates are the file's.
//     docs/benchmarks.md is written by `make bench`: its shell blocks must instead be, verbatim, in
//     internal/bench's Go source, which writes them.
//   - json, yaml: the block is, verbatim, a file a test reads (inputFiles), except on
//     docs/protocol.md, whose JSON shows BOSA's wire format (the sandbox's and bosaclient's tests).
//   - text, http: output and illustrations. The output a page shows for a run is a file
//     docs/examples/<script>.output (or <script>.printed, what the server prints), which the run
//     checks (see missingLines) and which the page must show as a whole block.
//
// The scripts use the pages' addresses (127.0.0.1:50051, 127.0.0.1:8080, 127.0.0.1:8765) and /tmp/,
// which a run replaces with its server's and its own directory. Every command of a run that fails
// fails the test, unless the run expects it (exampleRun.fails). TestShellBlocksAreCovered fails for a
// block that follows none of these rules; TestRules shows the rules at work.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// inputFiles are the JSON and YAML files the pages may show; a test reads each
// (internal/mcp's clients read docs/mcp-client.json).
var inputFiles = []string{
	"mcp-client.json",
	"examples/*.json",
}

// block is a fenced block of a page.
type block struct {
	page, lang, body string
	line             int
}

func (b block) String() string { return fmt.Sprintf("%s:%d (```%s)", b.page, b.line, b.lang) }

// pageBlocks returns the fenced blocks of README.md and docs/*.md.
func pageBlocks(t *testing.T) []block {
	t.Helper()
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, "../README.md")
	var blocks []block
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		var cur *block
		var body strings.Builder
		for i, line := range strings.SplitAfter(string(b), "\n") {
			if !strings.HasPrefix(line, "```") {
				if cur != nil {
					body.WriteString(line)
				}
				continue
			}
			if cur == nil {
				cur = &block{page: page, lang: strings.TrimSpace(line[3:]), line: i + 1}
				body.Reset()
				continue
			}
			cur.body = body.String()
			blocks = append(blocks, *cur)
			cur = nil
		}
		if cur != nil {
			t.Fatalf("%s: unclosed block", cur)
		}
	}
	return blocks
}

// readGlobs concatenates the files matching the patterns; each pattern must match.
func readGlobs(t *testing.T, patterns ...string) string {
	t.Helper()
	var all strings.Builder
	for _, pattern := range patterns {
		paths, err := filepath.Glob(pattern)
		if err != nil || len(paths) == 0 {
			t.Fatalf("no file matches %s", pattern)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			all.Write(b)
			all.WriteString("\n")
		}
	}
	return all.String()
}

// TestCodeBlocksAreExampleFiles fails when README.md or a page under docs/ shows Go, Python or
// TypeScript code that is not, verbatim, part of an example file a test runs.
func TestCodeBlocksAreExampleFiles(t *testing.T) {
	examples := readGlobs(t, exampleFiles...)
	blocks := 0
	for _, b := range pageBlocks(t) {
		if b.lang != "go" && b.lang != "python" && b.lang != "ts" {
			continue
		}
		blocks++
		if !strings.Contains(examples, b.body) {
			t.Errorf("%s is not part of any example file:\n%s", b, b.body)
		}
	}
	// go-client.md alone shows 10 Example functions; fewer means the pattern stopped matching.
	if blocks < 10 {
		t.Fatalf("found %d code blocks, want at least 10", blocks)
	}
}

var (
	shellLangs = []string{"sh", "bash", "shell", "console"}
	knownLangs = append([]string{"go", "python", "ts", "json", "yaml", "text", "http"}, shellLangs...)
	// makeWord is a word of a make line: a variable (VAR=value, VAR='a b') or a target.
	makeWord = regexp.MustCompile(`^(?:\s+(?:[A-Z_]+=(?:'[^']*'|\S+)|([a-z][\w-]*)))`)
	// makeRule is a rule of the Makefile.
	makeRule = regexp.MustCompile(`(?m)^([a-z][\w-]*):`)
	// trailingComment is an end-of-line shell comment after a command.
	trailingComment = regexp.MustCompile(`\s+#\s.*$`)
)

// TestShellBlocksAreCovered fails for a block on a page that follows none of the rules of the
// package comment: a shell block that no test runs, a JSON or YAML input no test reads, a block
// with no language.
func TestShellBlocksAreCovered(t *testing.T) {
	var scripts strings.Builder
	servers := map[string]bool{}
	for _, r := range runs {
		servers[r.server] = true
		for _, s := range append([]string{r.before}, r.scripts...) {
			if s != "" {
				scripts.WriteString(readGlobs(t, filepath.Join("examples", s)))
			}
		}
	}
	makefile := readGlobs(t, "../Makefile")
	targets := map[string]bool{}
	for _, m := range makeRule.FindAllStringSubmatch(makefile, -1) {
		targets[m[1]] = true
	}
	inputs := readGlobs(t, inputFiles...)
	benchSource := readGlobs(t, "../internal/bench/*.go")
	chartTest := readGlobs(t, "../deploy/helm/chart_test.go")

	shellBlocks := 0
	for _, b := range pageBlocks(t) {
		switch {
		case !slices.Contains(knownLangs, b.lang):
			t.Errorf("%s: name the block's language (%s; text for output)", b, strings.Join(knownLangs, ", "))
		case b.lang == "json" || b.lang == "yaml":
			if filepath.Base(b.page) != "protocol.md" && !strings.Contains(inputs, b.body) {
				t.Errorf("%s is not, verbatim, a file a test reads (%s):\n%s", b, strings.Join(inputFiles, ", "), b.body)
			}
		case slices.Contains(shellLangs, b.lang):
			shellBlocks++
			if filepath.Base(b.page) == "benchmarks.md" {
				if !strings.Contains(benchSource, b.body) {
					t.Errorf("%s: docs/benchmarks.md is written by make bench, but this block is not in internal/bench's source:\n%s", b, b.body)
				}
				continue
			}
			if strings.Contains(b.body, "kubectl ") || strings.Contains(b.body, "helm ") {
				checkClusterBlock(t, b, chartTest)
				continue
			}
			for _, msg := range uncovered(b.body, scripts.String(), servers, targets) {
				t.Errorf("%s: %s", b, msg)
			}
		}
	}
	if shellBlocks < 15 {
		t.Fatalf("found %d shell blocks, want at least 15", shellBlocks)
	}
}

// uncovered returns why lines of a shell block are covered by no rule (none when all are).
func uncovered(body, scripts string, servers, targets map[string]bool) []string {
	var msgs []string
	var chunk []string
	flush := func() {
		for len(chunk) > 0 && strings.TrimSpace(chunk[len(chunk)-1]) == "" {
			chunk = chunk[:len(chunk)-1]
		}
		for len(chunk) > 0 && strings.TrimSpace(chunk[0]) == "" {
			chunk = chunk[1:]
		}
		if text := strings.Join(chunk, "\n"); text != "" && !strings.Contains(scripts, text+"\n") {
			msgs = append(msgs, "no test runs these lines (they are in no script under docs/examples/ that a run uses):\n"+text)
		}
		chunk = nil
	}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		cmd := strings.TrimSpace(trailingComment.ReplaceAllString(line, ""))
		if servers[cmd] {
			flush()
			continue
		}
		if words, ok := makeTargets(cmd); ok {
			flush()
			for _, target := range words {
				if !targets[target] {
					msgs = append(msgs, fmt.Sprintf("make %s: the Makefile has no such target", target))
				}
			}
			continue
		}
		chunk = append(chunk, line)
	}
	flush()
	return msgs
}

// makeTargets returns the targets of a line `make [VAR=value | target]...` with at least one target.
func makeTargets(cmd string) ([]string, bool) {
	rest, ok := strings.CutPrefix(cmd, "make")
	if !ok {
		return nil, false
	}
	var targets []string
	for rest != "" {
		m := makeWord.FindStringSubmatch(rest)
		if m == nil {
			return nil, false
		}
		if m[1] != "" {
			targets = append(targets, m[1])
		}
		rest = rest[len(m[0]):]
	}
	return targets, len(targets) > 0
}

// checkClusterBlock checks a block of kubectl and helm commands: it must be in the header comment of a
// values file of deploy/helm/examples/ that TestChart renders, and its helm install must name that file.
func checkClusterBlock(t *testing.T, b block, chartTest string) {
	t.Helper()
	m := regexp.MustCompile(`-f deploy/helm/(examples/[\w.-]+\.yaml)`).FindStringSubmatch(b.body)
	if m == nil {
		t.Errorf("%s: a helm install must use a values file of deploy/helm/examples/ (-f), which TestChart renders", b)
		return
	}
	if !strings.Contains(chartTest, `"`+m[1]+`"`) {
		t.Errorf("%s: deploy/helm/chart_test.go does not render %s", b, m[1])
	}
	values, err := os.ReadFile(filepath.Join("../deploy/helm", m[1]))
	if err != nil {
		t.Fatal(err)
	}
	var header strings.Builder
	for _, line := range strings.SplitAfter(string(values), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		header.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "#"), "   "))
	}
	if !strings.Contains(header.String(), b.body) {
		t.Errorf("%s is not, verbatim, in the header comment of deploy/helm/%s:\n%s", b, m[1], b.body)
	}
	// The Secrets it creates are the ones the values file names.
	for _, s := range regexp.MustCompile(`kubectl create secret generic (\S+)`).FindAllStringSubmatch(b.body, -1) {
		if !strings.Contains(string(values), "existingSecret: "+s[1]+"\n") {
			t.Errorf("%s creates the Secret %s, which deploy/helm/%s does not name", b, s[1], m[1])
		}
	}
}

// TestShownOutputIsChecked fails when a page shows output of a run that no run checks, or when an
// output file of a run is not shown, as a whole block, on a page.
func TestShownOutputIsChecked(t *testing.T) {
	shown := map[string]bool{}
	for _, b := range pageBlocks(t) {
		if b.lang == "text" {
			shown[b.body] = true
		}
	}
	files, err := filepath.Glob("examples/*.printed")
	if err != nil {
		t.Fatal(err)
	}
	outputs, err := filepath.Glob("examples/*.output")
	if err != nil {
		t.Fatal(err)
	}
	if len(outputs) < 5 {
		t.Fatalf("found %d output files, want at least 5", len(outputs))
	}
	for _, f := range append(files, outputs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !shown[string(b)] {
			t.Errorf("no page shows %s as a text block", f)
		}
		script := strings.TrimSuffix(strings.TrimSuffix(f, ".output"), ".printed") + ".sh"
		if !slices.ContainsFunc(runs, func(r exampleRun) bool { return slices.Contains(r.scripts, filepath.Base(script)) }) {
			t.Errorf("%s belongs to %s, which no run uses", f, script)
		}
	}
}

// TestRules checks the rules themselves on made-up blocks, so that a block no test runs cannot pass.
func TestRules(t *testing.T) {
	scripts := "API=http://127.0.0.1:8080\ncurl -s $API/healthz\n\ncurl -s $API/metrics\n"
	servers := map[string]bool{"go run ./cmd/bosa-gateway --sandbox": true}
	targets := map[string]bool{"test": true, "bench": true}
	for _, tc := range []struct {
		name, body string
		uncovered  int
	}{
		{"lines of a script", "curl -s $API/healthz\n\ncurl -s $API/metrics\n", 0},
		{"server line, then script lines", "go run ./cmd/bosa-gateway --sandbox\nAPI=http://127.0.0.1:8080\ncurl -s $API/healthz\n", 0},
		{"server line with a comment, make lines", "go run ./cmd/bosa-gateway --sandbox   # the gateway\nmake test   # all\nmake bench BENCHFLAGS='-scenarios unary'\n", 0},
		{"a line in no script", "curl -s $API/healthz\ncurl -s $API/openapi.json\n", 1},
		{"lines of a script, out of order", "curl -s $API/metrics\ncurl -s $API/healthz\n", 1},
		{"server line with other flags", "go run ./cmd/bosa-gateway --sandbox --rate-limit 5\n", 1},
		{"make without such a target", "make test-everything\n", 1},
		{"make, then more on the line", "make test && rm -rf /\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := uncovered(tc.body, scripts, servers, targets); len(got) != tc.uncovered {
				t.Errorf("uncovered = %q, want %d message(s)", got, tc.uncovered)
			}
		})
	}
}

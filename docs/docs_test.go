// Package docs holds the repository's reference pages; its test keeps their code examples honest.
package docs

import (
	"os"
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

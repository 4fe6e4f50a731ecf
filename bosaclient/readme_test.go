package bosaclient

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExamplesAreExampleFunctions keeps the README's Go client section identical to the runnable
// Example functions: every Go block of the section must appear verbatim in example_test.go.
func TestReadmeExamplesAreExampleFunctions(t *testing.T) {
	examples, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```go\n(.*?)```")
	checked := 0
	for _, path := range []string{"../docs/readme/go-client.md", "../README.md"} {
		doc, err := os.ReadFile(path)
		if err != nil {
			continue // the section lives in docs/readme until merged into README.md
		}
		section := string(doc)
		if i := strings.Index(section, "## Go client"); i >= 0 {
			section = section[i:]
			if j := strings.Index(section[len("## Go client"):], "\n## "); j >= 0 {
				section = section[:len("## Go client")+j]
			}
		} else {
			continue
		}
		for _, m := range block.FindAllStringSubmatch(section, -1) {
			checked++
			if !strings.Contains(string(examples), m[1]) {
				t.Errorf("%s: a Go block differs from example_test.go:\n%s", path, m[1])
			}
		}
	}
	if checked < 9 {
		t.Fatalf("found %d Go blocks in the Go client section, want the 9 examples", checked)
	}
}

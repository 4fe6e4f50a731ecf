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
	doc, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	i := strings.Index(section, "## Go client")
	if i < 0 {
		t.Fatal("README.md has no \"## Go client\" section")
	}
	section = section[i:]
	if j := strings.Index(section[len("## Go client"):], "\n## "); j >= 0 {
		section = section[:len("## Go client")+j]
	}
	checked := 0
	for _, m := range block.FindAllStringSubmatch(section, -1) {
		checked++
		if !strings.Contains(string(examples), m[1]) {
			t.Errorf("README.md: a Go block of the Go client section differs from example_test.go:\n%s", m[1])
		}
	}
	if checked < 9 {
		t.Fatalf("found %d Go blocks in the Go client section, want the 9 examples", checked)
	}
}

package bench

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuildAt builds a command of a committed revision of a scratch repository: the committed code,
// not the working tree's edits, and the working tree is left as it was.
func TestBuildAt(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main := func(word string) string {
		return "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"" + word + "\") }\n"
	}
	git("init", "-q")
	write("go.mod", "module example.com/scratch\n\ngo 1.22\n")
	write("cmd/hello/main.go", main("committed"))
	if err := os.Symlink("cmd", filepath.Join(repo, "link")); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "one")
	first := git("rev-parse", "--short", "HEAD")
	write("cmd/hello/main.go", main("second"))
	git("commit", "-q", "-am", "two")
	write("cmd/hello/main.go", main("uncommitted"))

	tests := []struct {
		ref, want string
	}{
		{"HEAD", "second"},
		{"HEAD~1", "committed"},
		{first, "committed"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			out := t.TempDir()
			rev, err := BuildAt(context.Background(), repo, tt.ref, out, "./cmd/hello")
			if err != nil {
				t.Fatal(err)
			}
			if rev == "" || strings.ContainsAny(rev, " \n") {
				t.Errorf("revision %q", rev)
			}
			got, err := exec.Command(filepath.Join(out, "hello")).Output()
			if err != nil || string(got) != tt.want {
				t.Errorf("built binary says %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(repo, "cmd/hello/main.go")); err != nil || !strings.Contains(string(b), "uncommitted") {
		t.Errorf("working tree changed: %s %v", b, err)
	}
	if _, err := BuildAt(context.Background(), repo, "no-such-ref", t.TempDir(), "./cmd/hello"); err == nil ||
		!strings.Contains(err.Error(), `"no-such-ref" is not a commit`) {
		t.Errorf("unknown ref: error %v", err)
	}
	// A revision that does not build says why.
	write("cmd/hello/main.go", "package main\n\nfunc main() { undefined() }\n")
	git("commit", "-q", "-am", "broken")
	if _, err := BuildAt(context.Background(), repo, "HEAD", t.TempDir(), "./cmd/hello"); err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("broken revision: error %v", err)
	}
}

func TestUntar(t *testing.T) {
	archive := func(hs ...*tar.Header) *bytes.Buffer {
		var b bytes.Buffer
		w := tar.NewWriter(&b)
		for _, h := range hs {
			if h.Typeflag == tar.TypeReg {
				h.Size = int64(len(h.Name))
			}
			if err := w.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				w.Write([]byte(h.Name))
			}
		}
		w.Close()
		return &b
	}
	tests := []struct {
		name    string
		entries []*tar.Header
		wantErr bool
	}{
		{"files, dirs and links", []*tar.Header{
			{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader},
			{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "a/b.txt", Typeflag: tar.TypeReg, Mode: 0o644},
			{Name: "c/d.txt", Typeflag: tar.TypeReg, Mode: 0o600},
			{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "a"},
		}, false},
		{"escape", []*tar.Header{{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644}}, true},
		{"absolute", []*tar.Header{{Name: "/evil", Typeflag: tar.TypeReg, Mode: 0o644}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			err := untar(archive(tt.entries...), dir)
			if (err != nil) != tt.wantErr {
				t.Fatalf("untar: %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			for _, name := range []string{"a/b.txt", "c/d.txt", "l/b.txt"} {
				if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !strings.HasSuffix(string(b), ".txt") {
					t.Errorf("%s: %q %v", name, b, err)
				}
			}
		})
	}
}

// TestRunCompare compares two gateways (here two in-process gateways on one sandbox) with the real
// load tools and renders the comparison: every cell has runs of both builds, alternating which
// goes first.
func TestRunCompare(t *testing.T) {
	ip := startInProcess(t)
	other := startInProcessGateway(t, ip.sb.URL)
	self := Proc{PID: os.Getpid()}
	base := &GatewayProcess{Process: &Process{Proc: self}, GRPCAddr: ip.grpcAddr, HTTPAddr: ip.httpAddr}
	current := &GatewayProcess{Process: &Process{Proc: self}, GRPCAddr: other.GRPCAddr(), HTTPAddr: other.HTTPAddr()}
	var cases []UnaryCase
	for _, c := range UnaryCases() {
		if c.Name == "1KiB" {
			cases = append(cases, c)
		}
	}
	cfg := CompareConfig{Cases: cases, Paths: []Path{GRPC, REST, Empty}, Concurrency: []int{1, 2}, Duration: time.Second,
		Repeat: 2, Tools: testTools(t), Dir: t.TempDir(), Base: base, Current: current, BaseLabel: "v1", CurrentLabel: "v2"}
	var order []string
	rows, err := RunCompare(context.Background(), ip.sess, &self, cfg, func(r CompareRow) {
		order = append(order, fmt.Sprintf("%s/%d/%d", r.Path, r.Concurrency, len(r.Base.Runs)))
	})
	if err != nil {
		t.Fatal(err)
	}
	// The empty call at concurrency 1 only: 3 + 2 cells, 2 rounds each.
	if len(rows) != 5 || len(order) != 10 {
		t.Fatalf("%d rows, %d progress calls: %v", len(rows), len(order), order)
	}
	if want := "grpc/1/1 rest/1/1 empty/1/1 grpc/1/2 rest/1/2 empty/1/2 grpc/2/1"; strings.Join(order[:7], " ") != want {
		t.Errorf("runs in order %v, want them to start %s", order, want)
	}
	for _, r := range rows {
		if len(r.Base.Runs) != 2 || len(r.Current.Runs) != 2 || r.Base.P(50) <= 0 || r.Current.P(50) <= 0 || r.Current.Throughput() <= 0 {
			t.Errorf("%s/%s/%d: base %d runs, new %d runs", r.Case, r.Path, r.Concurrency, len(r.Base.Runs), len(r.Current.Runs))
		}
	}
	cr := &Comparison{Machine: ReadMachine(), Started: time.Now(), Command: "test", Config: cfg, Rows: rows}
	var text, md bytes.Buffer
	cr.WriteText(&text)
	cr.WriteMarkdown(&md)
	if !strings.Contains(text.String(), "base v1 vs new v2") || !strings.Contains(text.String(), "new/base") {
		t.Errorf("text:\n%s", text.String())
	}
	for _, want := range []string{"# Gateway comparison: v1 vs v2", "| 1KiB | rest | 2 |", "| 1KiB | empty | 1 |", "p50 base | p50 new | new/base"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

func TestCompareCells(t *testing.T) {
	run := func(p50 time.Duration, cpu time.Duration) UnaryRun { return unaryRun(p50, p50, 1, cpu) }
	r := CompareRow{Case: "1KiB", Path: GRPC, Concurrency: 1,
		Base:    UnaryRow{Runs: []UnaryRun{run(1000*time.Microsecond, 800*time.Microsecond), run(1200*time.Microsecond, 900*time.Microsecond)}},
		Current: UnaryRow{Runs: []UnaryRun{run(500*time.Microsecond, 400*time.Microsecond), run(1300*time.Microsecond, 500*time.Microsecond)}}}
	got := r.cells()
	want := []string{"1KiB", "grpc", "1", "1100 µs", "900 µs", "0.82", "1/2", "1100 µs", "900 µs", "0.82", "850 µs", "450 µs", "0.53", "1", "1", "1.00"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("cells\n got %q\nwant %q", got, want)
	}
	if len(got) != len(compareHeader) {
		t.Errorf("%d cells for %d headers", len(got), len(compareHeader))
	}
}

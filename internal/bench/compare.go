package bench

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// BuildAt builds packages (e.g. "./cmd/bosa-gateway") of the git revision ref of the repository at
// repoDir into outDir, and returns the revision's short commit hash. The revision's tree is exported
// with `git archive` into a temporary directory and built there, so the working tree, the index and
// the repository's worktree list are left alone.
func BuildAt(ctx context.Context, repoDir, ref, outDir string, packages ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", repoDir, "rev-parse", "--verify", "--short", ref+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("bench: %q is not a commit of %s: %w", ref, repoDir, commandError(err))
	}
	rev := strings.TrimSpace(string(out))
	src, err := os.MkdirTemp("", "bosa-bench-"+rev+"-")
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(src)
	archive := exec.CommandContext(ctx, "git", "-C", repoDir, "archive", "--format=tar", rev)
	tr, err := archive.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("bench: git archive: %w", err)
	}
	var stderr strings.Builder
	archive.Stderr = &stderr
	if err := archive.Start(); err != nil {
		return "", fmt.Errorf("bench: git archive: %w", err)
	}
	xerr := untar(tr, src)
	_, _ = io.Copy(io.Discard, tr)
	if err := errors.Join(archive.Wait(), xerr); err != nil {
		return "", fmt.Errorf("bench: git archive %s: %w %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	build := exec.CommandContext(ctx, "go", append([]string{"build", "-o", abs + string(os.PathSeparator)}, packages...)...)
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build at %s: %w\n%s", rev, err, out)
	}
	return rev, nil
}

// untar extracts a tar stream of directories, regular files and symbolic links into dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !filepath.IsLocal(h.Name) {
			return fmt.Errorf("archive entry %q leaves the directory", h.Name)
		}
		path := filepath.Join(dir, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			err = writeFile(path, tr, h.FileInfo().Mode().Perm())
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				err = os.Symlink(h.Linkname, path)
			}
		}
		// Other entries (git archive's pax comment header) carry no files.
		if err != nil {
			return err
		}
	}
}

func writeFile(path string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

// commandError adds a failed command's stderr to its error.
func commandError(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

// Describe returns `git describe --always --dirty` of the repository at repoDir, or "working tree"
// when git cannot say.
func Describe(ctx context.Context, repoDir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", repoDir, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "working tree"
	}
	return strings.TrimSpace(string(out))
}

// CompareConfig sets up a comparison of two gateway builds over the unary cells.
type CompareConfig struct {
	Cases            []UnaryCase
	Paths            []Path // GRPC, REST, Empty
	Concurrency      []int
	Warmup, Duration time.Duration
	Repeat           int // runs per cell and build
	Tools            Tools
	Dir              string // the tools' temporary files
	// Base and Current are the running gateways of each build; BaseLabel and CurrentLabel name them.
	Base, Current           *GatewayProcess
	BaseLabel, CurrentLabel string
}

// CompareRow is one cell measured with both builds.
type CompareRow struct {
	Case          string
	Path          Path
	Concurrency   int
	Base, Current UnaryRow
}

// RunCompare runs every (case, path, concurrency) cell with the base and the current gateway
// alternately, cfg.Repeat times each: round by round, and within a round path by path, base then
// current in even rounds and current then base in odd ones, so that neither build always runs
// first or last. Both gateways use the same sandbox. progress is called after every pair of runs.
func RunCompare(ctx context.Context, s *Session, sandbox *Proc, cfg CompareConfig, progress func(CompareRow)) ([]CompareRow, error) {
	var rows []CompareRow
	ucfg := UnaryConfig{Warmup: cfg.Warmup, Duration: cfg.Duration, Tools: cfg.Tools, Dir: cfg.Dir}
	for _, uc := range cfg.Cases {
		for _, c := range cfg.Concurrency {
			var cell []CompareRow
			for _, path := range cfg.Paths {
				if path != Empty || c == 1 {
					cell = append(cell, CompareRow{Case: uc.Name, Path: path, Concurrency: c})
				}
			}
			for round := range max(cfg.Repeat, 1) {
				for i := range cell {
					builds := []struct {
						gw  *GatewayProcess
						row *UnaryRow
					}{{cfg.Base, &cell[i].Base}, {cfg.Current, &cell[i].Current}}
					if round%2 == 1 {
						builds[0], builds[1] = builds[1], builds[0]
					}
					for _, b := range builds {
						if err := s.Attach(b.gw.GRPCAddr, b.gw.HTTPAddr); err != nil {
							return rows, err
						}
						run, err := runCell(ctx, s, Procs{Gateway: &b.gw.Proc, Sandbox: sandbox}, uc, cell[i].Path, c, ucfg)
						if err != nil {
							return rows, err
						}
						b.row.Runs = append(b.row.Runs, run)
					}
					if progress != nil {
						progress(cell[i])
					}
				}
			}
			rows = append(rows, cell...)
		}
	}
	return rows, nil
}

// Comparison is what a comparison run measured.
type Comparison struct {
	Machine Machine
	Started time.Time
	Elapsed time.Duration
	LoadAvg [2]string
	Command string
	Config  CompareConfig
	Rows    []CompareRow
}

// ratio writes new/base with two decimals.
func ratio(n, b float64) string {
	if b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", n/b)
}

// lowerIn counts the rounds in which the current build's p-th percentile was below the base's.
func (r CompareRow) lowerIn(p float64) string {
	n := min(len(r.Base.Runs), len(r.Current.Runs))
	lower := 0
	for i := range n {
		if r.Current.Runs[i].Load.P(p) < r.Base.Runs[i].Load.P(p) {
			lower++
		}
	}
	return fmt.Sprintf("%d/%d", lower, n)
}

func (r CompareRow) cells() []string {
	b, c := r.Base, r.Current
	return []string{r.Case, string(r.Path), fmt.Sprint(r.Concurrency),
		fmtDur(b.P(50)), fmtDur(c.P(50)), ratio(float64(c.P(50)), float64(b.P(50))), r.lowerIn(50),
		fmtDur(b.P(99)), fmtDur(c.P(99)), ratio(float64(c.P(99)), float64(b.P(99))),
		fmtDur(b.HopCPU()), fmtDur(c.HopCPU()), ratio(float64(c.HopCPU()), float64(b.HopCPU())),
		fmt.Sprintf("%.0f", b.Throughput()), fmt.Sprintf("%.0f", c.Throughput()), ratio(c.Throughput(), b.Throughput())}
}

var compareHeader = []string{"case", "path", "conc", "p50 base", "p50 new", "new/base", "new faster", "p99 base", "p99 new", "new/base",
	"gw CPU/req base", "gw CPU/req new", "new/base", "req/s base", "req/s new", "new/base"}

// WriteText writes the comparison table for a terminal.
func (cr *Comparison) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\n== Gateway comparison: base %s vs new %s (same sandbox; medians of %d runs per build, alternating)\n",
		cr.Config.BaseLabel, cr.Config.CurrentLabel, max(cr.Config.Repeat, 1))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(compareHeader, "\t")+"\t")
	for _, r := range cr.Rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w, "new/base < 1 is better for latency and CPU, > 1 for req/s; `new faster` counts the rounds where new's p50 was lower.")
}

// WriteMarkdown writes the comparison as a markdown document.
func (cr *Comparison) WriteMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	cfg, m := cr.Config, cr.Machine
	p("# Gateway comparison: %s vs %s\n\n", cfg.BaseLabel, cfg.CurrentLabel)
	p("Written by `make bench-compare` (`bosa-bench -base`). The gateway of the base revision, built from `git archive` of it, and\n")
	p("the gateway of the current tree serve the unary cells of `make bench` in turn, against one sandbox (the current\n")
	p("tree's), with the same load tools (wrk for REST, ghz for gRPC): every cell runs %d times per build, alternating (base,\n", max(cfg.Repeat, 1))
	p("new, then new, base in the next round), %s of warm-up then %s measured per run. Columns are the\n", cfg.Warmup, cfg.Duration)
	p("medians over the runs; `new/base` below 1 is better for latency and CPU, above 1 for req/s; `new faster` counts the\n")
	p("rounds where the new gateway's p50 was lower than the base's in the same round. CPU per request is the gateway's\n")
	p("utime+stime over the measured phase divided by the calls: it is less sensitive to a busy machine than latency.\n\n")
	p("| | |\n|---|---|\n")
	p("| date | %s (run took %s) |\n", cr.Started.UTC().Format("2006-01-02 15:04 MST"), cr.Elapsed.Round(time.Second))
	p("| machine | %d CPUs, %s, %s RAM, Linux %s, %s |\n", m.CPUs, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion)
	p("| load average (1, 5, 15 min) | at start %s; at end %s |\n", cr.LoadAvg[0], cr.LoadAvg[1])
	p("| command | `%s` |\n\n", cr.Command)
	p("| %s |\n|%s\n", strings.Join(compareHeader, " | "), strings.Repeat("---|", len(compareHeader)))
	for _, r := range cr.Rows {
		p("| %s |\n", strings.Join(r.cells(), " | "))
	}
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// PaginateConfig sets up the streaming pagination scenario.
type PaginateConfig struct {
	Pages    int           // N, pages per run
	Latency  time.Duration // L, injected sandbox latency per page
	Work     time.Duration // C, consumer work per page (a sleep: the consumer waits on something else)
	Repeats  int           // runs per mode; the median is reported
	Prefetch []int         // gateway prefetch values to run over gRPC
	// RESTPrefetch, when > 0, adds a REST run with this prefetch.
	RESTPrefetch int
}

// Ideal returns N × max(L, C): every page's fetch hidden behind the previous page's work.
func (c PaginateConfig) Ideal() time.Duration { return time.Duration(c.Pages) * max(c.Latency, c.Work) }

// Naive returns N × (L + C): fetch, then work, one page at a time.
func (c PaginateConfig) Naive() time.Duration { return time.Duration(c.Pages) * (c.Latency + c.Work) }

// Target returns the bound for Paginate with prefetch: 1.15 × N × max(L, C) + L.
func (c PaginateConfig) Target() time.Duration {
	return time.Duration(1.15*float64(c.Ideal())) + c.Latency
}

// PaginateRow is one mode of the scenario.
type PaginateRow struct {
	Mode     string // e.g. "bosaclient sequential", "gRPC Paginate prefetch 4"
	Path     Path
	Prefetch int       // -1 for the direct client
	Times    Latencies // sorted, one per run
}

// paginated is the paged action: 523 commits of acme/web, 10 per page, cursor-based.
var paginated = Request{Connector: "github", Action: "list_commits",
	Input: map[string]any{"owner": "acme", "repo": "web", "per_page": 10}}

// RunPaginate injects cfg.Latency on every list_commits call in the sandbox (through its HTTP
// fault-control surface), then times each mode cfg.Repeats times: from the call to the end of the
// consumer's work on page N.
func RunPaginate(ctx context.Context, s *Session, cfg PaginateConfig) ([]PaginateRow, error) {
	if err := control(ctx, s.SandboxURL, map[string]any{"connector": paginated.Connector, "action": paginated.Action,
		"latency_ms": float64(cfg.Latency) / float64(time.Millisecond), "times": 0}); err != nil {
		return nil, err
	}
	defer control(context.WithoutCancel(ctx), s.SandboxURL, nil) //nolint:errcheck // best effort cleanup

	type mode struct {
		row PaginateRow
		run func(ctx context.Context) (int, error)
	}
	modes := []mode{{PaginateRow{Mode: "bosaclient, sequential NextPage", Path: Direct, Prefetch: -1}, func(ctx context.Context) (int, error) {
		return s.pageDirect(ctx, cfg)
	}}}
	for _, p := range cfg.Prefetch {
		modes = append(modes, mode{PaginateRow{Mode: fmt.Sprintf("gRPC Paginate, prefetch %d", p), Path: GRPC, Prefetch: p},
			func(ctx context.Context) (int, error) { return s.pageGRPC(ctx, cfg, p) }})
	}
	if cfg.RESTPrefetch > 0 {
		p := cfg.RESTPrefetch
		modes = append(modes, mode{PaginateRow{Mode: fmt.Sprintf("REST :paginate, prefetch %d", p), Path: REST, Prefetch: p},
			func(ctx context.Context) (int, error) { return s.pageREST(ctx, cfg, p) }})
	}
	// Rounds rather than mode after mode, so that noise is shared.
	for range cfg.Repeats {
		for i := range modes {
			t0 := time.Now()
			n, err := modes[i].run(ctx)
			d := time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("bench: %s: %w", modes[i].row.Mode, err)
			}
			if n != cfg.Pages {
				return nil, fmt.Errorf("bench: %s: got %d pages, want %d", modes[i].row.Mode, n, cfg.Pages)
			}
			modes[i].row.Times = append(modes[i].row.Times, d)
		}
	}
	rows := make([]PaginateRow, len(modes))
	for i, m := range modes {
		rows[i] = m.row
		sortDurations(rows[i].Times)
	}
	return rows, nil
}

func (s *Session) pageDirect(ctx context.Context, cfg PaginateConfig) (int, error) {
	r, err := s.direct.Execute(ctx, paginated.Connector, paginated.Action, paginated.Input, bosaclient.WithToken(s.Token))
	n := 0
	for err == nil {
		n++
		time.Sleep(cfg.Work)
		if n == cfg.Pages {
			return n, nil
		}
		r, err = r.NextPage(ctx)
	}
	if errors.Is(err, bosaclient.ErrNoPage) {
		return n, nil
	}
	return n, err
}

func (s *Session) pageGRPC(ctx context.Context, cfg PaginateConfig, prefetch int) (int, error) {
	in, err := structpb.NewStruct(paginated.Input)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+s.Token))
	defer cancel()
	stream, err := s.action.Paginate(ctx, &bosav1.PaginateRequest{Connector: paginated.Connector, Action: paginated.Action,
		Input: in, MaxPages: int32(cfg.Pages), Prefetch: int32(prefetch)})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if int(msg.GetIndex()) != n {
			return n, fmt.Errorf("page index %d, want %d", msg.GetIndex(), n)
		}
		n++
		time.Sleep(cfg.Work)
	}
}

func (s *Session) pageREST(ctx context.Context, cfg PaginateConfig, prefetch int) (int, error) {
	n := 0
	err := s.restStream(ctx, paginated.Connector, paginated.Action,
		map[string]any{"input": paginated.Input, "max_pages": cfg.Pages, "prefetch": prefetch},
		func(index int) error {
			if index != n {
				return fmt.Errorf("page index %d, want %d", index, n)
			}
			n++
			time.Sleep(cfg.Work)
			return nil
		})
	return n, err
}

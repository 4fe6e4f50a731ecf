package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The sizing scenario: what one gateway core serves and what concurrent calls cost in memory, for
// the operations docs. Calls per second per core come from the unary scenario (one second of CPU
// divided by the gateway's CPU per call at the highest concurrency); memory from holding Streams
// calls open at once: ExecuteAction of the 1 KiB case, which the sandbox delays by Hold (a latency
// fault), all in flight together, and the gateway's peak RSS above its RSS before.

// SizingConfig sets up the sizing scenario.
type SizingConfig struct {
	Streams int           // concurrent calls
	Hold    time.Duration // how long the sandbox holds each call
}

// SizingRow is the memory of Streams concurrent calls over one path.
type SizingRow struct {
	Path             Path
	Streams          int
	IdleRSS, PeakRSS int64 // gateway RSS before the calls, VmHWM while they were held
}

// PerThousand returns the memory the calls added, per 1,000 calls.
func (r SizingRow) PerThousand() int64 {
	if r.Streams == 0 {
		return 0
	}
	return (r.PeakRSS - r.IdleRSS) * 1000 / int64(r.Streams)
}

// RunSizing holds cfg.Streams calls open at once over gRPC (one connection, as many streams),
// then over REST (as many HTTP/1.1 connections), on the gateway gw the session is attached to.
func RunSizing(ctx context.Context, s *Session, gw *GatewayProcess, cfg SizingConfig) ([]SizingRow, error) {
	uc := UnaryCases()[0]
	req := uc.Req
	if err := control(ctx, s.SandboxURL, map[string]any{"connector": req.Connector, "action": req.Action,
		"latency_ms": float64(cfg.Hold) / float64(time.Millisecond), "times": 0}); err != nil {
		return nil, err
	}
	defer control(context.WithoutCancel(ctx), s.SandboxURL, nil) //nolint:errcheck // best effort cleanup
	var rows []SizingRow
	for _, path := range []Path{GRPC, REST} {
		call, err := s.Prepare(path, req)
		if err != nil {
			return rows, err
		}
		if path == REST {
			// One connection per call, as many REST callers would open.
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = cfg.Streams
			rest := s.rest
			s.rest = &http.Client{Transport: tr}
			defer func() { tr.CloseIdleConnections(); s.rest = rest }()
			if call, err = s.Prepare(path, req); err != nil {
				return rows, err
			}
		}
		// A first call warms the connection and the gateway's code paths up.
		if _, err := call(ctx); err != nil {
			return rows, fmt.Errorf("bench: sizing over %s: %w", path, err)
		}
		m0, err := gw.Memory()
		if err != nil {
			return rows, err
		}
		if err := gw.ResetPeak(); err != nil {
			return rows, err
		}
		var wg sync.WaitGroup
		errs := make(chan error, cfg.Streams)
		for range cfg.Streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := call(ctx)
				if err == nil {
					err = uc.Check(r)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return rows, fmt.Errorf("bench: sizing over %s: %w", path, err)
			}
		}
		m1, err := gw.Memory()
		if err != nil {
			return rows, err
		}
		rows = append(rows, SizingRow{Path: path, Streams: cfg.Streams, IdleRSS: m0.RSS, PeakRSS: m1.Peak})
	}
	return rows, nil
}

// BufferedJSONLimit is the REST body limit (--max-json-body-bytes) a gateway needs for the files
// scenario's buffered API: the largest file in base64, plus room for the rest of the body.
func BufferedJSONLimit(sizes []int) int {
	largest := 0
	for _, n := range sizes {
		largest = max(largest, n)
	}
	return (largest+2)/3*4 + 1<<20
}

package bench

import (
	"context"
	"fmt"
	"time"

	"bosa.dev/gateway/bosaclient"
)

// Directions of a file transfer.
const (
	Download = "download"
	Upload   = "upload"
)

// FilesConfig sets up the file scenario.
type FilesConfig struct {
	Sizes   []int  // bytes
	Paths   []Path // Direct, GRPC, REST
	Repeats int    // transfers per (size, direction, path); the median is reported
}

// FileRow is one (size, direction, path).
type FileRow struct {
	Size      int
	Direction string
	Path      Path
	Times     Latencies // sorted
	// GatewayIdleRSS is the fresh gateway's RSS before the first transfer; GatewayPeakRSS its VmHWM
	// after the last. Both 0 for the direct path.
	GatewayIdleRSS, GatewayPeakRSS int64
}

// Throughput returns bytes per second at the median time.
func (r FileRow) Throughput() float64 {
	if m := r.Times.Percentile(50); m > 0 {
		return float64(r.Size) / m.Seconds()
	}
	return 0
}

// StartFunc starts a fresh gateway.
type StartFunc func(ctx context.Context) (*GatewayProcess, error)

// RunFiles transfers files of each size up (google_drive/upload_file, multipart upstream) and down
// (download_file of a file uploaded beforehand) over each path. Every gateway row runs on a freshly
// started gateway, so that its peak RSS belongs to that row alone.
func RunFiles(ctx context.Context, s *Session, start StartFunc, cfg FilesConfig, progress func(FileRow)) ([]FileRow, error) {
	var rows []FileRow
	for _, size := range cfg.Sizes {
		label := sizeLabel(size)
		data := payload(size, "bosa-bench:"+label)
		// The download source, uploaded directly once.
		up, err := s.Prepare(Direct, uploadRequest("bench-dl-"+label+".bin", data))
		if err != nil {
			return rows, err
		}
		if _, err := up(ctx); err != nil {
			return rows, fmt.Errorf("bench: upload the %s download source: %w", label, err)
		}
		id, err := s.fileID(ctx, "bench-dl-"+label+".bin")
		if err != nil {
			return rows, err
		}
		for _, dir := range []string{Download, Upload} {
			req := Request{Connector: "google_drive", Action: "download_file", Input: map[string]any{"file_id": id}}
			if dir == Upload {
				req = uploadRequest("bench-up-"+label+".bin", data)
			}
			for _, path := range cfg.Paths {
				row, err := runFileRow(ctx, s, start, req, size, dir, path, cfg.Repeats)
				if err != nil {
					return rows, fmt.Errorf("bench: %s %s over %s: %w", dir, label, path, err)
				}
				rows = append(rows, row)
				if progress != nil {
					progress(row)
				}
			}
		}
	}
	return rows, nil
}

func runFileRow(ctx context.Context, s *Session, start StartFunc, req Request, size int, dir string, path Path, repeats int) (FileRow, error) {
	row := FileRow{Size: size, Direction: dir, Path: path}
	var gw *GatewayProcess
	if path != Direct {
		var err error
		if gw, err = start(ctx); err != nil {
			return row, err
		}
		defer gw.Stop() //nolint:errcheck // a gateway that does not stop is killed
		if err := s.Attach(gw.GRPCAddr, gw.HTTPAddr); err != nil {
			return row, err
		}
		m, err := gw.Memory()
		if err != nil {
			return row, err
		}
		row.GatewayIdleRSS = m.RSS
	}
	call, err := s.Prepare(path, req)
	if err != nil {
		return row, err
	}
	row.Times, err = Timed(repeats, func(int) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		r, err := call(ctx)
		if err != nil {
			return err
		}
		if dir == Download && (!r.IsFile || r.FileBytes != size) {
			return fmt.Errorf("downloaded %+v, want %d bytes", r, size)
		}
		if dir == Upload && r.IsFile {
			return fmt.Errorf("upload answered a file")
		}
		return nil
	})
	if err != nil {
		return row, err
	}
	if gw != nil {
		m, err := gw.Memory()
		if err != nil {
			return row, err
		}
		row.GatewayPeakRSS = m.Peak
	}
	return row, nil
}

func uploadRequest(name string, data []byte) Request {
	return Request{Connector: "google_drive", Action: "upload_file",
		Input: map[string]any{"name": name, "overwrite": true},
		Files: []FileUpload{{Parameter: "file", Filename: name, ContentType: "application/octet-stream", Data: data}}}
}

// fileID finds the id of the user's uploaded file with that name.
func (s *Session) fileID(ctx context.Context, name string) (string, error) {
	r, err := s.direct.Execute(ctx, "google_drive", "list_files",
		map[string]any{"name_contains": name, "page_size": 100}, bosaclient.WithToken(s.Token))
	if err != nil {
		return "", fmt.Errorf("bench: list files: %w", err)
	}
	for _, it := range r.Items() {
		if m, ok := it.(map[string]any); ok && m["name"] == name {
			if id, ok := m["id"].(string); ok {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("bench: uploaded file %q not listed", name)
}

// sizeLabel writes a byte count as MiB or KiB.
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

package bench

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Directions of a file transfer.
const (
	Download = "download"
	Upload   = "upload"
)

// APIs of a file transfer.
const (
	// Stream is the streaming API: DownloadFile/UploadFiles over gRPC, …:download/…:upload over
	// REST, a streamed HTTP exchange for the direct path.
	Stream = "stream"
	// Buffered is the file in one message: ExecuteAction with File.data over gRPC, …:execute with
	// base64 over REST, bosaclient.Execute directly.
	Buffered = "buffered"
)

// FilesConfig sets up the file scenario.
type FilesConfig struct {
	Sizes   []int    // bytes
	Paths   []Path   // Direct, GRPC, REST
	APIs    []string // Stream, Buffered
	Repeats int      // transfers per (size, direction, API, path); the median is reported
}

// FileRow is one (size, direction, API, path).
type FileRow struct {
	Size      int
	Direction string
	API       string
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
// (download_file of a file uploaded beforehand) with each API over each path. Every transfer is
// checked byte for byte: a download's SHA-256 against the file's, an upload's answer (size and
// md5Checksum the sandbox computed from what it received) against the file's. Every gateway row
// runs on a freshly started gateway, so that its peak RSS belongs to that row alone.
func RunFiles(ctx context.Context, s *Session, start StartFunc, cfg FilesConfig, progress func(FileRow)) ([]FileRow, error) {
	var rows []FileRow
	for _, size := range cfg.Sizes {
		label := sizeLabel(size)
		data := payload(size, "bosa-bench:"+label)
		want := fileSums{size: size, sha256: sha256.Sum256(data)}
		sum := md5.Sum(data)
		want.md5 = hex.EncodeToString(sum[:])
		// The download source, uploaded directly once.
		up, err := s.Prepare(Direct, uploadRequest("bench-dl-"+label+".bin", data))
		if err != nil {
			return rows, err
		}
		r, err := up(ctx)
		if err != nil {
			return rows, fmt.Errorf("bench: upload the %s download source: %w", label, err)
		}
		if err := want.checkUpload(r); err != nil {
			return rows, fmt.Errorf("bench: upload the %s download source: %w", label, err)
		}
		id, _ := r.Object["id"].(string)
		if id == "" {
			return rows, fmt.Errorf("bench: upload the %s download source: no id in the answer %v", label, r.Object)
		}
		for _, dir := range []string{Download, Upload} {
			req := Request{Connector: "google_drive", Action: "download_file", Input: map[string]any{"file_id": id}}
			if dir == Upload {
				req = uploadRequest("bench-up-"+label+".bin", data)
			}
			for _, api := range cfg.APIs {
				for _, path := range cfg.Paths {
					row, err := runFileRow(ctx, s, start, req, want, dir, api, path, cfg.Repeats)
					if err != nil {
						return rows, fmt.Errorf("bench: %s %s %s over %s: %w", api, dir, label, path, err)
					}
					rows = append(rows, row)
					if progress != nil {
						progress(row)
					}
				}
			}
		}
	}
	return rows, nil
}

// fileSums is what a transferred file must match.
type fileSums struct {
	size   int
	sha256 [sha256.Size]byte
	md5    string // hex
}

// checkDownload compares a downloaded file with the original: length and SHA-256.
func (f fileSums) checkDownload(r Result) error {
	if !r.IsFile {
		return fmt.Errorf("download answered %+v, not a file", r)
	}
	sum := r.SHA256
	if r.FileData != nil {
		sum = sha256.Sum256(r.FileData)
	}
	if r.FileBytes != f.size || sum != f.sha256 {
		return fmt.Errorf("downloaded %d bytes with SHA-256 %x, want %d bytes with %x", r.FileBytes, sum[:8], f.size, f.sha256[:8])
	}
	return nil
}

// checkUpload compares the sandbox's view of an uploaded file (its data object: size and
// md5Checksum of the bytes it stored) with the original.
func (f fileSums) checkUpload(r Result) error {
	if r.IsFile || r.Object == nil {
		return fmt.Errorf("upload answered %+v, not a file's metadata", r)
	}
	size, ok := asInt(r.Object["size"])
	if md5sum, _ := r.Object["md5Checksum"].(string); !ok || size != int64(f.size) || md5sum != f.md5 {
		return fmt.Errorf("the sandbox stored %v bytes with MD5 %v, want %d bytes with %s", r.Object["size"], r.Object["md5Checksum"], f.size, f.md5)
	}
	return nil
}

// asInt reads a JSON number as decoded by encoding/json, bosaclient or structpb.
func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), float64(int64(n)) == n
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

func runFileRow(ctx context.Context, s *Session, start StartFunc, req Request, want fileSums, dir, api string, path Path, repeats int) (FileRow, error) {
	row := FileRow{Size: want.size, Direction: dir, API: api, Path: path}
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
	prepare := s.Prepare
	if api == Stream {
		prepare = s.PrepareStream
	}
	call, err := prepare(path, req)
	if err != nil {
		return row, err
	}
	check := want.checkDownload
	if dir == Upload {
		check = want.checkUpload
	}
	// The check is inside the timed transfer: a streamed download is hashed as it arrives, so a
	// buffered one is hashed too.
	row.Times, err = Timed(repeats, func(int) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		r, err := call(ctx)
		if err != nil {
			return err
		}
		return check(r)
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

package bosaclient

// Streamed downloads and uploads against the sandbox over real HTTP.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"testing"

	"bosa.dev/gateway/sandbox"
)

// sha256Of returns the hex SHA-256 of r's bytes and their count.
func sha256Of(t *testing.T, r io.Reader) (string, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, make([]byte, 32<<10))
	if err != nil {
		t.Fatalf("read after %d bytes: %v", n, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// seeded returns n deterministic pseudo-random bytes as a reader, and their SHA-256 and MD5.
func seeded(n int64, seed uint64) (io.Reader, string, string) {
	src := rand.NewChaCha8([32]byte{byte(seed)})
	sh, md := sha256.New(), md5.New()
	_, _ = io.CopyN(io.MultiWriter(sh, md), src, n)
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed)}), n), hex.EncodeToString(sh.Sum(nil)), hex.EncodeToString(md.Sum(nil))
}

func TestStreamDownload(t *testing.T) {
	e := newEnv(t, "streamer")
	ctx := context.Background()
	want, _ := sandbox.DemoFileContent("f-20m")

	d, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-20m"}, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	sum, n := sha256Of(t, d)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if sum != sha256Hex(want) || n != int64(len(want)) {
		t.Fatalf("downloaded %d bytes with sha256 %s, want %d bytes %s", n, sum, len(want), sha256Hex(want))
	}
	if d.Filename != "sample-20MiB.bin" || d.ContentType != "application/octet-stream" || d.Size != 20<<20 || d.Status != http.StatusOK {
		t.Fatalf("metadata %q %q size %d status %d", d.Filename, d.ContentType, d.Size, d.Status)
	}

	// A non-ASCII name comes from filename*.
	d, err = e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-utf8"}, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if d.Filename != "résumé 2025 – final.pdf" {
		t.Fatalf("filename %q", d.Filename)
	}
}

// TestStreamDownloadDoesNotBuffer: streaming a 20 MiB file allocates far less than the file, so the
// body is never held whole (the sandbox runs in-process, so its allocations count too).
func TestStreamDownloadDoesNotBuffer(t *testing.T) {
	e := newEnv(t, "lean")
	ctx := context.Background()
	// Warm up discovery and the connection, so that the measure covers the transfer only.
	d, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-1k"}, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	sha256Of(t, d)
	d.Close()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, err = e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-20m"}, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	_, n := sha256Of(t, d)
	d.Close()
	runtime.ReadMemStats(&after)
	if n != 20<<20 {
		t.Fatalf("downloaded %d bytes", n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("a streamed 20 MiB download allocated %d bytes; want < 4 MiB", alloc)
	}
}

func TestStreamDownloadErrors(t *testing.T) {
	e := newEnv(t, "faulty")
	ctx := context.Background()
	tok := WithToken(e.token)

	t.Run("not found", func(t *testing.T) {
		_, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "nope"}, tok)
		var ae *APIError
		if !IsNotFound(err) || !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("invalid parameters", func(t *testing.T) {
		var ve *ValidationError
		if _, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file": "x"}, tok); !errors.As(err, &ve) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("JSON instead of a file", func(t *testing.T) {
		_, err := e.c.Download(ctx, "google_drive", "list_files", map[string]any{"page_size": 2}, tok)
		var nf *NotFileError
		if !errors.Is(err, ErrNotFile) || !errors.As(err, &nf) || len(nf.Response.Items()) != 2 {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("retried before the body", func(t *testing.T) {
		e.srv.ResetCalls()
		e.srv.Inject("google_drive", "download_file", sandbox.Fault{Status: http.StatusServiceUnavailable, Times: 1})
		d, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-1m"}, tok, WithMaxAttempts(2))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, n := sha256Of(t, d); n != 1<<20 {
			t.Fatalf("%d bytes", n)
		}
		if c := e.srv.Calls("google_drive", "download_file"); c.Total != 2 {
			t.Fatalf("calls %+v, want 2", c)
		}
	})
	t.Run("cancelled mid-stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		d, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-20m"}, tok)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := io.CopyN(io.Discard, d, 1<<20); err != nil {
			t.Fatal(err)
		}
		cancel()
		_, err = io.Copy(io.Discard, d)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("read after cancel: %v", err)
		}
	})
	t.Run("upstream drops the connection mid-body", func(t *testing.T) {
		e.srv.Inject("google_drive", "download_file", sandbox.Fault{Kind: sandbox.FaultTruncatedBody, Times: 1})
		d, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-1m"}, tok, WithMaxAttempts(3))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		n, err := io.Copy(io.Discard, d)
		var ne *NetworkError
		if !errors.As(err, &ne) || !IsUnavailable(err) || !errors.Is(err, io.ErrUnexpectedEOF) || n >= 1<<20 {
			t.Fatalf("read %d bytes, err %v", n, err)
		}
	})
}

func TestStreamUpload(t *testing.T) {
	e := newEnv(t, "uploader")
	ctx := context.Background()
	tok := WithToken(e.token)
	const size = 20 << 20
	body, sum, md := seeded(size, 7)

	r, err := e.c.Upload(ctx, "google_drive", "upload_file", map[string]any{"folder_id": "fld-reports"},
		[]FileParam{{Parameter: "file", File: File{Filename: "streamed.bin", ContentType: "application/x-test", Body: body}}}, tok)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		ID, Name, MimeType, MD5Checksum string
		Size                            int64
		Parents                         []string
	}
	if err := r.Decode(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.Size != size || meta.MD5Checksum != md || meta.Name != "streamed.bin" || meta.MimeType != "application/x-test" || meta.Parents[0] != "fld-reports" {
		t.Fatalf("upload answer %+v", meta)
	}
	d, err := e.c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": meta.ID}, tok)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, n := sha256Of(t, d); got != sum || n != size {
		t.Fatalf("round trip: %d bytes %s, want %s", n, got, sum)
	}

	// Execute streams a File with a Body as well.
	r, err = e.c.Execute(ctx, "google_drive", "upload_file", map[string]any{
		"file": File{Filename: "via-execute.txt", Body: bytes.NewReader([]byte("streamed by Execute"))},
	}, tok)
	if err != nil || r.Data.(map[string]any)["size"].(float64) != 19 {
		t.Fatalf("Execute with a Body: %v %v", r, err)
	}
}

// failingReader fails after n bytes.
type failingReader struct{ n int }

var errDisk = errors.New("disk on fire")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errDisk
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

func TestStreamUploadErrors(t *testing.T) {
	e := newEnv(t, "uploader2")
	ctx := context.Background()
	tok := WithToken(e.token)
	file := func(r io.Reader) []FileParam {
		return []FileParam{{Parameter: "file", File: File{Filename: "f", Body: r}}}
	}

	t.Run("sent once whatever the retry policy", func(t *testing.T) {
		e.srv.ResetCalls()
		e.srv.Inject("google_drive", "upload_file", sandbox.Fault{Status: http.StatusServiceUnavailable, Times: 1})
		_, err := e.c.Upload(ctx, "google_drive", "upload_file", nil, file(bytes.NewReader(make([]byte, 1000))), tok, WithMaxAttempts(3))
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("err %v", err)
		}
		if c := e.srv.Calls("google_drive", "upload_file"); c.Total != 1 {
			t.Fatalf("calls %+v, want 1", c)
		}
	})
	t.Run("a failing body fails the call with its error", func(t *testing.T) {
		_, err := e.c.Upload(ctx, "google_drive", "upload_file", nil, file(&failingReader{n: 100 << 10}), tok)
		if !errors.Is(err, errDisk) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("not a parameter", func(t *testing.T) {
		var ve *ValidationError
		_, err := e.c.Upload(ctx, "google_drive", "upload_file", nil, []FileParam{{Parameter: "nope", File: File{Body: bytes.NewReader(nil)}}}, tok)
		if !errors.As(err, &ve) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a parameter in both params and files", func(t *testing.T) {
		_, err := e.c.Upload(ctx, "google_drive", "upload_file", map[string]any{"file": NewFile("a", "", []byte("a"))}, file(bytes.NewReader(nil)), tok)
		if !IsInvalidArgument(err) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("cancelled while sending", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write(make([]byte, 64<<10))
			cancel()
		}()
		_, err := e.c.Upload(ctx, "google_drive", "upload_file", nil, file(pr), tok)
		pw.Close()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
}

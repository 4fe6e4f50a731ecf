package server_test

// End-to-end tests of DownloadFile and UploadFiles, over gRPC and their REST routes, against a
// gateway on real sockets in front of the sandbox.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// driveUser creates a user with GitHub and Google Drive integrations; md carries its token.
func driveUser(t *testing.T, e *env, id string) metadata.MD {
	t.Helper()
	md := userWithGitHub(t, e.conn, id)
	connectIntegration(t, e.conn, md, "google_drive")
	return md
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hexMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// downloaded is a DownloadFile stream as received.
type downloaded struct {
	meta   *bosav1.FileMetadata
	data   []byte
	chunks []int // sizes
}

// download runs DownloadFile to its end; the error is the stream's, with what was received so far.
func download(ctx context.Context, e *env, md metadata.MD, req *bosav1.DownloadFileRequest) (*downloaded, error) {
	stream, err := bosav1.NewActionServiceClient(e.conn).DownloadFile(metadata.NewOutgoingContext(ctx, md), req)
	if err != nil {
		return nil, err
	}
	out := &downloaded{}
	for i := 0; ; i++ {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if i == 0 {
			if out.meta = msg.GetMetadata(); out.meta == nil {
				return out, fmt.Errorf("first message %v is not metadata", msg)
			}
			continue
		}
		if msg.GetMetadata() != nil {
			return out, fmt.Errorf("message %d is metadata", i)
		}
		out.data = append(out.data, msg.GetChunk()...)
		out.chunks = append(out.chunks, len(msg.GetChunk()))
	}
}

// upload sends msgs on an UploadFiles stream and returns the answer or the call's status.
func upload(ctx context.Context, e *env, md metadata.MD, msgs ...*bosav1.UploadFilesRequest) (*bosav1.UploadFilesResponse, error) {
	stream, err := bosav1.NewActionServiceClient(e.conn).UploadFiles(metadata.NewOutgoingContext(ctx, md))
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			break // the server ended the call: CloseAndRecv has its status
		}
	}
	return stream.CloseAndRecv()
}

func header(h *bosav1.UploadFilesHeader) *bosav1.UploadFilesRequest {
	if h.Connector == "" {
		h.Connector, h.Action = "google_drive", "upload_file"
	}
	return &bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Header{Header: h}}
}

func chunk(index int32, data []byte) *bosav1.UploadFilesRequest {
	return &bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Chunk{Chunk: &bosav1.FileChunk{FileIndex: index, Data: data}}}
}

// filesNamed lists the user's drive files with that exact name.
func filesNamed(t *testing.T, e *env, md metadata.MD, name string) []any {
	t.Helper()
	resp, err := bosav1.NewActionServiceClient(e.conn).ExecuteAction(metadata.NewOutgoingContext(testCtx(t), md), &bosav1.ExecuteActionRequest{
		Connector: "google_drive", Action: "list_files", Input: mustStruct(map[string]any{"name_contains": name, "page_size": 100})})
	if err != nil {
		t.Fatal(err)
	}
	var named []any
	for _, f := range resp.GetData().GetListValue().AsSlice() {
		if f.(map[string]any)["name"] == name {
			named = append(named, f)
		}
	}
	return named
}

// finish is a message that only marks the upload complete.
func finish() *bosav1.UploadFilesRequest { return &bosav1.UploadFilesRequest{Finish: true} }

// chunks splits data into chunks of file index of at most size bytes.
func chunks(index int32, data []byte, size int) []*bosav1.UploadFilesRequest {
	var out []*bosav1.UploadFilesRequest
	for len(data) > 0 {
		n := min(size, len(data))
		out = append(out, chunk(index, data[:n]))
		data = data[n:]
	}
	return out
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// violationField returns the field of the status's first BadRequest violation.
func violationField(st *status.Status) string {
	if br := detail[*errdetails.BadRequest](st); br != nil && len(br.GetFieldViolations()) > 0 {
		return br.GetFieldViolations()[0].GetField()
	}
	return ""
}

// TestExecuteActionLargeFile: a 20 MiB file in one ExecuteAction answer, beyond gRPC's default
// 4 MiB message limit, arrives byte for byte over gRPC and over REST (base64 in the JSON body).
// It runs apart from the journey: under -race, copying tens of MiB in one step delays every timer of
// the test process by up to a second, which would decide the journey's deadline cases.
func TestExecuteActionLargeFile(t *testing.T) {
	e := startEnv(t)
	md := driveUser(t, e, "big")
	want, _ := sandbox.DemoFileContent("f-20m")
	req := &bosav1.ExecuteActionRequest{Connector: "google_drive", Action: "download_file", Input: mustStruct(map[string]any{"file_id": "f-20m"})}
	faces(t, e, func(t *testing.T, tr transport) {
		var resp bosav1.ExecuteActionResponse
		if err := tr.call(testCtx(t), md, "/bosa.v1.ActionService/ExecuteAction", req, &resp); err != nil {
			t.Fatal(err)
		}
		f := resp.GetFile()
		if f.GetFilename() != "sample-20MiB.bin" || f.GetContentType() != "application/octet-stream" || hexSHA(f.GetData()) != hexSHA(want) {
			t.Fatalf("file %q %q, %d bytes (sha256 equal: %v)", f.GetFilename(), f.GetContentType(), len(f.GetData()), hexSHA(f.GetData()) == hexSHA(want))
		}
	})
}

func TestDownloadFile(t *testing.T) {
	e := startEnv(t)
	md := driveUser(t, e, "dl")
	ctx := testCtx(t)
	want, _ := sandbox.DemoFileContent("f-20m")
	in := mustStruct(map[string]any{"file_id": "f-20m"})

	t.Run("seeded 20 MiB file, default chunks", func(t *testing.T) {
		d, err := download(ctx, e, md, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: in})
		if err != nil {
			t.Fatal(err)
		}
		if hexSHA(d.data) != hexSHA(want) {
			t.Fatalf("%d bytes, sha256 differs", len(d.data))
		}
		m := d.meta
		if m.GetFilename() != "sample-20MiB.bin" || m.GetContentType() != "application/octet-stream" || m.GetSize() != 20<<20 || m.GetParameter() != "" {
			t.Fatalf("metadata %v", m)
		}
		for i, n := range d.chunks {
			if n > server.DefaultChunkSize || (i < len(d.chunks)-1 && n != server.DefaultChunkSize) {
				t.Fatalf("chunk %d has %d bytes; want %d", i, n, server.DefaultChunkSize)
			}
		}
	})
	t.Run("chunk_size honoured", func(t *testing.T) {
		d, err := download(ctx, e, md, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file",
			Input: mustStruct(map[string]any{"file_id": "f-1m"}), ChunkSize: 100_000})
		if err != nil {
			t.Fatal(err)
		}
		want1m, _ := sandbox.DemoFileContent("f-1m")
		if !bytes.Equal(d.data, want1m) || len(d.chunks) != 11 || d.chunks[0] != 100_000 || d.chunks[10] != 1<<20-1_000_000 {
			t.Fatalf("%d bytes in chunks %v", len(d.data), d.chunks)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		d, err := download(ctx, e, md, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file",
			Input: mustStruct(map[string]any{"file_id": "f-empty"})})
		if err != nil || d.meta.GetSize() != 0 || len(d.chunks) != 0 {
			t.Fatalf("%v %v", d, err)
		}
	})

	errs := []struct {
		name   string
		req    *bosav1.DownloadFileRequest
		fault  *sandbox.Fault
		code   codes.Code
		reason string
	}{
		{"negative chunk_size", &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: in, ChunkSize: -1},
			nil, codes.InvalidArgument, server.ReasonInvalidRequest.String()},
		{"invalid input", &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: mustStruct(map[string]any{"id": "x"})},
			nil, codes.InvalidArgument, server.ReasonInvalidParameters.String()},
		{"unknown file", &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: mustStruct(map[string]any{"file_id": "nope"})},
			nil, codes.NotFound, server.ReasonNotFound.String()},
		{"JSON instead of a file", &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "list_files"},
			nil, codes.FailedPrecondition, server.ReasonUpstreamError.String()},
		{"upstream 401", &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: in},
			&sandbox.Fault{Status: http.StatusUnauthorized, Times: 1}, codes.Unauthenticated, server.ReasonUnauthenticated.String()},
		{"upstream 429", &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: in},
			&sandbox.Fault{Status: http.StatusTooManyRequests, Times: 1}, codes.ResourceExhausted, server.ReasonRateLimited.String()},
		{"upstream cut mid-file", &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: in},
			&sandbox.Fault{Kind: sandbox.FaultTruncatedBody, Times: 1}, codes.Unavailable, server.ReasonUpstreamUnavailable.String()},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault != nil {
				e.sb.Inject("google_drive", tt.req.GetAction(), *tt.fault)
				defer e.sb.ClearFaults()
			}
			d, err := download(ctx, e, md, tt.req)
			wantStatus(t, err, tt.code, tt.reason)
			if tt.fault != nil && tt.fault.Kind == sandbox.FaultTruncatedBody && (d.meta == nil || len(d.data) == 0 || len(d.data) >= 20<<20) {
				t.Fatalf("mid-file failure after %d bytes (metadata %v)", len(d.data), d.meta)
			}
		})
	}
	t.Run("a 503 before the first byte is retried", func(t *testing.T) {
		e.sb.ResetCalls()
		e.sb.Inject("google_drive", "download_file", sandbox.Fault{Status: http.StatusServiceUnavailable, Times: 1})
		d, err := download(ctx, e, md, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file",
			Input: mustStruct(map[string]any{"file_id": "f-hello"}), MaxAttempts: 2})
		if err != nil || string(d.data) != "Hello from the BOSA sandbox!\n" {
			t.Fatalf("%v %v", d, err)
		}
		if n := e.sb.Calls("google_drive", "download_file").Total; n != 2 {
			t.Fatalf("%d upstream calls, want 2", n)
		}
	})
}

// TestDownloadFileChunkCap: a chunk_size above the message limit is capped by it.
func TestDownloadFileChunkCap(t *testing.T) {
	e := startEnv(t, func(c *server.Config) { c.MaxMessageBytes = 1 << 20 })
	md := driveUser(t, e, "capped")
	d, err := download(testCtx(t), e, md, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file",
		Input: mustStruct(map[string]any{"file_id": "f-20m"}), ChunkSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.data) != 20<<20 || d.chunks[0] >= 1<<20 || d.chunks[0] < 1<<19 {
		t.Fatalf("%d bytes, first chunk %d", len(d.data), d.chunks[0])
	}
}

func TestUploadFiles(t *testing.T) {
	e := startEnv(t)
	md := driveUser(t, e, "ul")
	ctx := testCtx(t)
	data := randomBytes(3<<20+12345, 1)

	for _, size := range []int64{int64(len(data)), -1} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			msgs := append([]*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{
				Input:          mustStruct(map[string]any{"folder_id": "fld-reports"}),
				ResponseFields: []string{"id", "name", "size", "md5Checksum", "mimeType"},
				Files:          []*bosav1.FileMetadata{{Parameter: "file", Filename: "up.bin", ContentType: "application/x-test", Size: size}},
			})}, chunks(0, data, 100_000)...)
			msgs[len(msgs)-1].Finish = true
			resp, err := upload(ctx, e, md, msgs...)
			if err != nil {
				t.Fatal(err)
			}
			got := resp.GetResult().GetData().GetStructValue().AsMap()
			if got["md5Checksum"] != hexMD5(data) || got["size"] != float64(len(data)) || got["name"] != "up.bin" || got["mimeType"] != "application/x-test" {
				t.Fatalf("upload answer %v", got)
			}
			d, err := download(ctx, e, md, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file",
				Input: mustStruct(map[string]any{"file_id": got["id"]})})
			if err != nil || hexSHA(d.data) != hexSHA(data) {
				t.Fatalf("round trip: %d bytes, %v", len(d.data), err)
			}
		})
	}
	t.Run("an empty file, finish on the header", func(t *testing.T) {
		h := header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: "empty.txt", Size: 0}}})
		h.Finish = true
		resp, err := upload(ctx, e, md, h)
		if err != nil || resp.GetResult().GetData().GetStructValue().AsMap()["size"] != float64(0) {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("finish in a message of its own", func(t *testing.T) {
		resp, err := upload(ctx, e, md, header(&bosav1.UploadFilesHeader{
			Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: "own.txt", Size: 5}}}), chunk(0, []byte("hello")), finish())
		if err != nil || resp.GetResult().GetData().GetStructValue().AsMap()["size"] != float64(5) {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("upstream 401 keeps its meaning and the upload is sent once", func(t *testing.T) {
		e.sb.ResetCalls()
		e.sb.Inject("google_drive", "upload_file", sandbox.Fault{Status: http.StatusUnauthorized, Times: 1})
		_, err := upload(ctx, e, md, append([]*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{
			Files: []*bosav1.FileMetadata{{Parameter: "file", Size: -1}}})}, append(chunks(0, data, 64<<10), finish())...)...)
		wantStatus(t, err, codes.Unauthenticated, server.ReasonUnauthenticated.String())
		if n := e.sb.Calls("google_drive", "upload_file").Total; n != 1 {
			t.Fatalf("%d upstream calls, want 1", n)
		}
	})
	t.Run("retried with its request_id, stores one file and answers the same", func(t *testing.T) {
		e.sb.ResetCalls()
		send := func(id string) (*bosav1.UploadFilesResponse, error) {
			return upload(ctx, e, md, header(&bosav1.UploadFilesHeader{RequestId: id,
				Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: "idem.txt", Size: 5}}}), chunk(0, []byte("hello")), finish())
		}
		first, err := send("b3c1f7d2-upload-1")
		if err != nil {
			t.Fatal(err)
		}
		again, err := send("b3c1f7d2-upload-1")
		if err != nil || !proto.Equal(first, again) {
			t.Fatalf("retry: %v %v, first %v", again, err, first)
		}
		if n := len(filesNamed(t, e, md, "idem.txt")); n != 1 {
			t.Fatalf("%d files stored, want 1", n)
		}
		if n := e.sb.Calls("google_drive", "upload_file").Total; n != 1 {
			t.Fatalf("%d upstream calls, want 1", n)
		}
	})
	t.Run("a failed call retried with its request_id runs again", func(t *testing.T) {
		e.sb.Inject("google_drive", "upload_file", sandbox.Fault{Status: http.StatusServiceUnavailable, Times: 1})
		send := func() (*bosav1.UploadFilesResponse, error) {
			return upload(ctx, e, md, header(&bosav1.UploadFilesHeader{RequestId: "b3c1f7d2-upload-2",
				Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: "idem2.txt", Size: 5}}}), chunk(0, []byte("hello")), finish())
		}
		if _, err := send(); status.Code(err) != codes.Unavailable {
			t.Fatalf("first call: %v, want the injected UNAVAILABLE", err)
		}
		if _, err := send(); err != nil {
			t.Fatal(err)
		}
		if n := len(filesNamed(t, e, md, "idem2.txt")); n != 1 {
			t.Fatalf("%d files stored, want 1", n)
		}
	})
}

func TestUploadFilesInvalid(t *testing.T) {
	e := startEnv(t)
	md := driveUser(t, e, "bad")
	ctx := testCtx(t)
	file := func(size int64) []*bosav1.FileMetadata {
		return []*bosav1.FileMetadata{{Parameter: "file", Filename: "a.txt", Size: size}}
	}
	tests := []struct {
		name  string
		msgs  []*bosav1.UploadFilesRequest
		field string
	}{
		{"empty stream", nil, "header"},
		{"chunk before the header", []*bosav1.UploadFilesRequest{chunk(0, []byte("x"))}, "header"},
		{"header twice", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(-1)}), header(&bosav1.UploadFilesHeader{Files: file(-1)})}, "header"},
		{"no files", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{})}, "header.files"},
		{"file without parameter", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Size: -1}}})}, "header.files[0].parameter"},
		{"unknown parameter", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Parameter: "attachment", Size: -1}}})}, "header.files[0].parameter"},
		{"not a file parameter", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Parameter: "folder_id", Size: -1}}})}, "header.files[0].parameter"},
		{"two files for a one-file parameter", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: append(file(-1), file(-1)...)})}, "header.files[1].parameter"},
		{"file parameter also in input", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Input: mustStruct(map[string]any{"file": "x"}), Files: file(-1)})}, "header.files[0].parameter"},
		{"size below -1", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(-2)})}, "header.files[0].size"},
		{"file_index out of range", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(-1)}), chunk(1, []byte("x"))}, "chunk.file_index"},
		{"negative file_index", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(-1)}), chunk(-1, []byte("x"))}, "chunk.file_index"},
		{"fewer bytes than declared", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(10)}), chunk(0, []byte("short")), finish()}, "header.files[0].size"},
		{"no finish", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(-1)}), chunk(0, []byte("partial"))}, "finish"},
		{"no finish, size declared and complete", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(4)}), chunk(0, []byte("full"))}, "finish"},
		{"a message after finish", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(-1)}), chunk(0, []byte("x")), finish(), chunk(0, []byte("y"))}, "finish"},
		{"an empty message", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(-1)}), {}}, "part"},
		{"more bytes than declared", []*bosav1.UploadFilesRequest{header(&bosav1.UploadFilesHeader{Files: file(3)}), chunk(0, []byte("too long"))}, "header.files[0].size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := upload(ctx, e, md, tt.msgs...)
			st := wantStatus(t, err, codes.InvalidArgument, server.ReasonInvalidRequest.String())
			if f := violationField(st); f != tt.field {
				t.Fatalf("violation field %q (%v), want %q", f, err, tt.field)
			}
		})
	}
	t.Run("invalid input", func(t *testing.T) {
		_, err := upload(ctx, e, md, header(&bosav1.UploadFilesHeader{Input: mustStruct(map[string]any{"overwrite": "maybe"}), Files: file(-1)}))
		wantStatus(t, err, codes.InvalidArgument, server.ReasonInvalidParameters.String())
	})
	// Upstream calls start once the header is valid, but none may complete: a file that reached BOSA
	// in full would be stored.
	if n := e.sb.Calls("google_drive", "upload_file").Total; n > 6 {
		t.Fatalf("%d upstream calls for invalid uploads; only the size, finish and empty-message cases may reach it", n)
	}
	if files := filesNamed(t, e, md, "a.txt"); len(files) != 0 {
		t.Fatalf("invalid uploads stored %d files: %v", len(files), files)
	}
}

// startedDownload starts downloading the 20 MiB seeded file in 1 KiB chunks and reads three of them:
// flow control then keeps the upstream answer open (it cannot be over before the caller leaves)
// until the returned cancel, also called at cleanup.
func startedDownload(t *testing.T, client bosav1.ActionServiceClient, md metadata.MD) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), md))
	t.Cleanup(cancel)
	stream, err := client.DownloadFile(ctx, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file",
		Input: mustStruct(map[string]any{"file_id": "f-20m"}), ChunkSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	return cancel
}

// TestFileStreamsCancel: a caller that cancels mid-stream cancels the upstream call.
func TestFileStreamsCancel(t *testing.T) {
	// Observes upstream file requests: one started, and its handler returned with the bytes of the
	// answer it wrote.
	started, ended := make(chan struct{}, 1), make(chan int64, 1)
	e := startEnvWith(t, envOptions{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/upload_file") && !strings.HasSuffix(r.URL.Path, "/download_file") {
				h.ServeHTTP(w, r)
				return
			}
			started <- struct{}{}
			cw := &countingWriter{ResponseWriter: w}
			h.ServeHTTP(cw, r)
			ended <- cw.n
		})
	}})
	md := driveUser(t, e, "quitter")
	client := bosav1.NewActionServiceClient(e.conn)
	e.sb.ResetCalls()

	t.Run("download", func(t *testing.T) {
		cancel := startedDownload(t, client, md)
		<-started
		cancel()
		if n := <-ended; n >= 20<<20 {
			t.Fatalf("the upstream sent the whole file (%d bytes) to a cancelled stream", n)
		}
	})
	t.Run("upload", func(t *testing.T) {
		ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), md))
		defer cancel()
		stream, err := client.UploadFiles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Parameter: "file", Size: -1}}})); err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(chunk(0, randomBytes(256<<10, 2))); err != nil {
			t.Fatal(err)
		}
		<-started
		cancel()
		<-ended // the upstream request ended although the caller never finished its file
		if n := e.sb.Calls("google_drive", "upload_file").Total; n != 0 {
			t.Fatalf("the sandbox ran %d uploads of a cancelled stream", n)
		}
	})
}

// countingWriter counts the bytes of an answer.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// restDownload posts body to the :download route.
func restDownload(t *testing.T, e *env, md metadata.MD, action, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, e.httpBase+"/v1/connectors/google_drive/actions/"+action+":download", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", md.Get("authorization")[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// restError reads a REST error answer and checks its shape (google.rpc.Status JSON, the HTTP status
// of its code) and its code and reason.
func restError(t *testing.T, resp *http.Response, code codes.Code, reason string) *status.Status {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type %q: %s", ct, b)
	}
	return wantStatus(t, restStatus(resp, b), code, reason)
}

// part is one part of a multipart body.
type part struct{ name, filename, ctype, body string }

func multipartBody(parts ...part) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.ctype != "" {
			h.Set("Content-Type", p.ctype)
		}
		pw, _ := w.CreatePart(h)
		_, _ = io.WriteString(pw, p.body)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func restUpload(t *testing.T, e *env, md metadata.MD, body io.Reader, ctype string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, e.httpBase+"/v1/connectors/google_drive/actions/upload_file:upload", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", md.Get("authorization")[0])
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestFileRoutesREST(t *testing.T) {
	// A small message limit: the REST body limit (about 2.4 MiB here) must not cap streamed uploads.
	e := startEnv(t, func(c *server.Config) { c.MaxMessageBytes = 1 << 20 })
	md := driveUser(t, e, "rest")

	t.Run("download the seeded 20 MiB file", func(t *testing.T) {
		resp := restDownload(t, e, md, "download_file", `{"input": {"file_id": "f-20m"}}`)
		b, err := io.ReadAll(resp.Body)
		want, _ := sandbox.DemoFileContent("f-20m")
		if err != nil || resp.StatusCode != http.StatusOK || hexSHA(b) != hexSHA(want) {
			t.Fatalf("%d, %d bytes, %v", resp.StatusCode, len(b), err)
		}
		h := resp.Header
		if h.Get("Content-Type") != "application/octet-stream" || h.Get("Content-Length") != "20971520" ||
			h.Get("Content-Disposition") != `attachment; filename=sample-20MiB.bin` || h.Get("X-Request-Id") == "" {
			t.Fatalf("headers %v", h)
		}
	})
	t.Run("a non-ASCII file name", func(t *testing.T) {
		resp := restDownload(t, e, md, "download_file", `{"input": {"file_id": "f-utf8"}}`)
		want := `attachment; filename="r_sum_ 2025 _ final.pdf"; filename*=utf-8''r%C3%A9sum%C3%A9%202025%20%E2%80%93%20final.pdf`
		if cd := resp.Header.Get("Content-Disposition"); cd != want {
			t.Fatalf("Content-Disposition %q", cd)
		}
	})
	t.Run("download errors before the first byte", func(t *testing.T) {
		restError(t, restDownload(t, e, md, "download_file", `{"input": {"file_id": "nope"}}`), codes.NotFound, server.ReasonNotFound.String())
		restError(t, restDownload(t, e, md, "list_files", `{}`), codes.FailedPrecondition, server.ReasonUpstreamError.String())
		restError(t, restDownload(t, e, md, "download_file", `{"input": {"file_id": "f-1k"}, "chunk": 1}`), codes.InvalidArgument, server.ReasonInvalidRequest.String())
		e.sb.Inject("google_drive", "download_file", sandbox.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second, Times: 1})
		resp := restDownload(t, e, md, "download_file", `{"input": {"file_id": "f-1k"}}`)
		if resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
		restError(t, resp, codes.ResourceExhausted, server.ReasonRateLimited.String())
	})
	t.Run("a failure mid-file aborts the body", func(t *testing.T) {
		e.sb.Inject("google_drive", "download_file", sandbox.Fault{Kind: sandbox.FaultTruncatedBody, Times: 1})
		resp := restDownload(t, e, md, "download_file", `{"input": {"file_id": "f-20m"}}`)
		n, err := io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK || err == nil || n >= 20<<20 {
			t.Fatalf("%d: read %d bytes, err %v", resp.StatusCode, n, err)
		}
	})
	t.Run("a body cut off mid-file stores nothing", func(t *testing.T) {
		body, ct := multipartBody(part{name: "file", filename: "cut.bin", body: strings.Repeat("z", 200_000)})
		whole, _ := io.ReadAll(body)
		resp := restUpload(t, e, md, bytes.NewReader(whole[:len(whole)/2]), ct)
		restError(t, resp, codes.InvalidArgument, server.ReasonInvalidRequest.String())
		if files := filesNamed(t, e, md, "cut.bin"); len(files) != 0 {
			t.Fatalf("a truncated upload was stored: %v", files)
		}
	})
	t.Run("upload then download, larger than the REST body limit", func(t *testing.T) {
		data := randomBytes(3<<20, 3)
		body, ct := multipartBody(
			part{name: "request", body: `{"input": {"description": "via REST"}, "response_fields": ["id", "name", "size", "md5Checksum", "mimeType"]}`},
			part{name: "file", filename: "rest.bin", ctype: "application/x-rest", body: string(data)})
		resp := restUpload(t, e, md, body, ct)
		b, _ := io.ReadAll(resp.Body)
		var out bosav1.UploadFilesResponse
		if err := protojson.Unmarshal(b, &out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		got := out.GetResult().GetData().GetStructValue().AsMap()
		if got["md5Checksum"] != hexMD5(data) || got["name"] != "rest.bin" || got["mimeType"] != "application/x-rest" {
			t.Fatalf("answer %v", got)
		}
		resp = restDownload(t, e, md, "download_file", fmt.Sprintf(`{"input": {"file_id": %q}}`, got["id"]))
		if b, err := io.ReadAll(resp.Body); err != nil || !bytes.Equal(b, data) {
			t.Fatalf("round trip: %d bytes, %v", len(b), err)
		}
	})
	t.Run("several files declared in the request part", func(t *testing.T) {
		body, ct := multipartBody(
			part{name: "request", body: `{"files": [{"parameter": "file", "size": 5}]}`},
			part{name: "file", filename: "five.txt", body: "12345"})
		if resp := restUpload(t, e, md, body, ct); resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
	invalid := []struct {
		name   string
		parts  []part
		ctype  string
		reason string
	}{
		{"not multipart", nil, "application/json", server.ReasonInvalidRequest.String()},
		{"no file part", []part{{name: "request", body: `{}`}}, "", server.ReasonInvalidRequest.String()},
		{"two files undeclared", []part{{name: "file", filename: "a", body: "a"}, {name: "file", filename: "b", body: "b"}}, "", server.ReasonInvalidRequest.String()},
		{"request part after a file", []part{{name: "file", filename: "a", body: "a"}, {name: "request", body: `{}`}}, "", server.ReasonInvalidRequest.String()},
		{"malformed request part", []part{{name: "request", body: `{"inptu": {}}`}, {name: "file", filename: "a", body: "a"}}, "", server.ReasonInvalidRequest.String()},
		{"part not matching the declaration", []part{{name: "request", body: `{"files": [{"parameter": "file"}]}`}, {name: "other", filename: "a", body: "a"}}, "", server.ReasonInvalidRequest.String()},
		{"size mismatch", []part{{name: "request", body: `{"files": [{"parameter": "file", "size": 9}]}`}, {name: "file", filename: "a", body: "a"}}, "", server.ReasonInvalidRequest.String()},
		{"not a file parameter", []part{{name: "folder_id", filename: "a", body: "a"}}, "", server.ReasonInvalidRequest.String()},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(tt.parts...)
			if tt.ctype != "" {
				ct = tt.ctype
			}
			restError(t, restUpload(t, e, md, body, ct), codes.InvalidArgument, tt.reason)
		})
	}
}

// arrayOfFiles rewrites discovery answers so that google_drive/upload_file's file parameter takes a
// list of files, which no sandbox action does: an upload stream may then carry several files.
func arrayOfFiles(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/connectors") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := bytes.ReplaceAll(rec.Body.Bytes(),
			[]byte(`named file.","format":"binary","type":"string"}`),
			[]byte(`named file.","type":"array","items":{"type":"string","format":"binary"}}`))
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// TestUploadFilesOrder: the chunks of several files come file after file, in header order.
func TestUploadFilesOrder(t *testing.T) {
	e := startEnvWith(t, envOptions{wrap: arrayOfFiles})
	md := driveUser(t, e, "order")
	two := []*bosav1.FileMetadata{{Parameter: "file", Filename: "a", Size: -1}, {Parameter: "file", Filename: "b", Size: -1}}
	_, err := upload(testCtx(t), e, md, header(&bosav1.UploadFilesHeader{Files: two}), chunk(1, []byte("b")), chunk(0, []byte("a")))
	st := wantStatus(t, err, codes.InvalidArgument, server.ReasonInvalidRequest.String())
	if f := violationField(st); f != "chunk.file_index" {
		t.Fatalf("violation field %q (%v)", f, err)
	}
}

// TestFileStreamsLimits: the protection limits apply to file streams as to other calls. A download
// holds its connector's upstream slot (--max-upstream-concurrency) until its body is done, so
// another call to that connector waits while other connectors are not held up; a caller over its
// rate limit is refused DownloadFile, UploadFiles and :download before anything reaches BOSA.
func TestFileStreamsLimits(t *testing.T) {
	t.Run("upstream concurrency", func(t *testing.T) {
		e := startEnv(t, func(c *server.Config) { c.MaxUpstreamConcurrency = 1 })
		md := driveUser(t, e, "holder")
		client := bosav1.NewActionServiceClient(e.conn)
		cancel := startedDownload(t, client, md) // holds the slot
		list := func(timeout time.Duration, connector, action string, input map[string]any) error {
			cctx, ccancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), timeout)
			defer ccancel()
			_, err := client.ExecuteAction(cctx, &bosav1.ExecuteActionRequest{Connector: connector, Action: action, Input: mustStruct(input)})
			return err
		}
		// However slow the machine, this call cannot get the slot while the download holds it.
		if err := list(300*time.Millisecond, "google_drive", "list_files", nil); status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("a second google_drive call while the download holds the only slot: %v, want DEADLINE_EXCEEDED", err)
		}
		if err := list(10*time.Second, "github", "get_repository", map[string]any{"owner": "acme", "repo": "web"}); err != nil {
			t.Fatalf("another connector is held up by the download: %v", err)
		}
		cancel()
		if err := list(10*time.Second, "google_drive", "list_files", nil); err != nil {
			t.Fatalf("after the download was cancelled: %v", err)
		}
	})
	t.Run("caller rate limit", func(t *testing.T) {
		// A bucket of 20 that never refills within the test: setup takes a few, then it is spent.
		e := startEnv(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 0.001, 20 })
		md := driveUser(t, e, "eager")
		users := bosav1.NewUserServiceClient(e.conn)
		for i := 0; ; i++ {
			_, err := users.GetCurrentUser(metadata.NewOutgoingContext(testCtx(t), md), &bosav1.GetCurrentUserRequest{})
			if status.Code(err) == codes.ResourceExhausted {
				break
			}
			if err != nil || i > 20 {
				t.Fatalf("spending the bucket: call %d: %v", i, err)
			}
		}
		before := e.sb.Calls("google_drive", "download_file").Total + e.sb.Calls("google_drive", "upload_file").Total
		_, err := download(testCtx(t), e, md, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file",
			Input: mustStruct(map[string]any{"file_id": "f-hello"})})
		wantStatus(t, err, codes.ResourceExhausted, "CALLER_RATE_LIMITED")
		h := header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: "r.txt", Size: 1}}})
		_, err = upload(testCtx(t), e, md, h, chunk(0, []byte("r")), finish())
		wantStatus(t, err, codes.ResourceExhausted, "CALLER_RATE_LIMITED")
		resp := restDownload(t, e, md, "download_file", `{"input": {"file_id": "f-hello"}}`)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf(":download over the limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		after := e.sb.Calls("google_drive", "download_file").Total + e.sb.Calls("google_drive", "upload_file").Total
		if after != before {
			t.Fatalf("%d refused file calls reached BOSA", after-before)
		}
	})
}

// TestUploadFilesIdle: an UploadFiles stream that stops sending, mid-file or after finish without
// half-closing, ends after the upload idle timeout with DEADLINE_EXCEEDED / UPLOAD_IDLE, stores
// nothing and frees its upstream slot; a slow upload whose messages keep coming completes.
func TestUploadFilesIdle(t *testing.T) {
	const idle = 300 * time.Millisecond
	e := startEnv(t, func(c *server.Config) { c.UploadIdleTimeout, c.MaxUpstreamConcurrency = idle, 1 })
	md := driveUser(t, e, "idle")
	file := func(name string) *bosav1.UploadFilesRequest {
		return header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: name, Size: -1}}})
	}
	for _, tt := range []struct {
		name string
		msgs []*bosav1.UploadFilesRequest
	}{
		{"stalled.txt", []*bosav1.UploadFilesRequest{file("stalled.txt"), chunk(0, []byte("half a file"))}},
		{"no-half-close.txt", []*bosav1.UploadFilesRequest{file("no-half-close.txt"), chunk(0, []byte("all of it")), finish()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stream, err := bosav1.NewActionServiceClient(e.conn).UploadFiles(metadata.NewOutgoingContext(testCtx(t), md))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.msgs {
				if err := stream.Send(m); err != nil {
					t.Fatal(err)
				}
			}
			// Wait for the answer without half-closing: only the idle timeout can end the call.
			err = stream.RecvMsg(&bosav1.UploadFilesResponse{})
			wantStatus(t, err, codes.DeadlineExceeded, server.ReasonUploadIdle.String())
			if files := filesNamed(t, e, md, tt.name); len(files) != 0 {
				t.Fatalf("an idle upload stored %v", files)
			}
		})
	}
	t.Run("slow but steady", func(t *testing.T) {
		stream, err := bosav1.NewActionServiceClient(e.conn).UploadFiles(metadata.NewOutgoingContext(testCtx(t), md))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(file("steady.txt")); err != nil {
			t.Fatal(err)
		}
		// Six chunks a third of the idle timeout apart: twice the timeout in all.
		for i := 0; i < 6; i++ {
			time.Sleep(idle / 3)
			if err := stream.Send(chunk(0, []byte("chunk "))); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Send(finish()); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatalf("a steady upload failed (is the upstream slot of the idle ones free?): %v", err)
		}
		if size := resp.GetResult().GetData().GetStructValue().AsMap()["size"]; size != float64(36) {
			t.Fatalf("stored %v bytes, want 36", size)
		}
	})
}

package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"google.golang.org/grpc/metadata"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// uploadChunk is the size of the file bytes in each FileChunk the gRPC client sends in UploadFiles:
// 32 KiB less room for the framing, so that a message fits 32 KiB, as the proto recommends (and as
// the gateway's default download chunk).
const uploadChunk = 32<<10 - 64

// PrepareStream builds the streaming transfer of req over path: DownloadFile or UploadFiles over
// gRPC, POST …:download or …:upload over REST, and bosaclient's Download or Upload for the direct
// path. A request with files is an upload, one without a download. Downloads are read
// into a SHA-256 hash (Result.SHA256) and never held whole; uploads are read from a bytes.Reader
// over FileUpload.Data and answer the action's data object (Result.Object). The returned function
// is safe for concurrent use.
func (s *Session) PrepareStream(path Path, req Request) (func(ctx context.Context) (Result, error), error) {
	upload := len(req.Files) > 0
	switch {
	case path == Direct && upload:
		return s.directStreamUpload(req), nil
	case path == Direct:
		return s.directStreamDownload(req)
	case path == GRPC && upload:
		return s.grpcUpload(req)
	case path == GRPC:
		return s.grpcDownload(req)
	case path == REST && upload:
		return s.restUpload(req)
	case path == REST:
		return s.restDownload(req)
	}
	return nil, fmt.Errorf("bench: unknown path %q", path)
}

// hashed counts and hashes what is written to it.
type hashed struct {
	h hash.Hash
	n int64
}

func newHashed() *hashed { return &hashed{h: sha256.New()} }

func (w *hashed) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return w.h.Write(p)
}

func (w *hashed) result() Result {
	r := Result{IsFile: true, FileBytes: int(w.n)}
	w.h.Sum(r.SHA256[:0])
	return r
}

// directStreamDownload calls bosaclient's Download and hashes the body as it arrives.
func (s *Session) directStreamDownload(req Request) (func(ctx context.Context) (Result, error), error) {
	opt := bosaclient.WithToken(s.Token)
	return func(ctx context.Context) (Result, error) {
		d, err := s.direct.Download(ctx, req.Connector, req.Action, req.Input, opt)
		if err != nil {
			return Result{}, err
		}
		defer d.Close()
		h := newHashed()
		if _, err := io.Copy(h, d.Body); err != nil {
			return Result{}, fmt.Errorf("bench: download: %w", err)
		}
		if d.Size >= 0 && d.Size != h.n {
			return Result{}, fmt.Errorf("bench: download: Content-Length %d, %d bytes received", d.Size, h.n)
		}
		return h.result(), nil
	}, nil
}

// directStreamUpload calls bosaclient's Upload with each file's Body a reader over its bytes.
func (s *Session) directStreamUpload(req Request) func(ctx context.Context) (Result, error) {
	opt := bosaclient.WithToken(s.Token)
	return func(ctx context.Context) (Result, error) {
		files := make([]bosaclient.FileParam, len(req.Files))
		for i, f := range req.Files {
			files[i] = bosaclient.FileParam{Parameter: f.Parameter,
				File: bosaclient.File{Filename: f.Filename, ContentType: f.ContentType, Body: bytes.NewReader(f.Data)}}
		}
		r, err := s.direct.Upload(ctx, req.Connector, req.Action, req.Input, files, opt)
		if err != nil {
			return Result{}, err
		}
		obj, _ := r.Data.(map[string]any)
		return Result{Object: obj}, nil
	}
}

func (s *Session) restDownload(req Request) (func(ctx context.Context) (Result, error), error) {
	if s.rest == nil {
		return nil, errors.New("bench: no gateway HTTP address")
	}
	body, err := json.Marshal(map[string]any{"input": req.Input})
	if err != nil {
		return nil, fmt.Errorf("bench: REST body: %w", err)
	}
	url := s.base + "/v1/connectors/" + req.Connector + "/actions/" + req.Action + ":download"
	return func(ctx context.Context) (Result, error) {
		return s.streamHTTP(ctx, s.rest, url, "application/json", bytes.NewReader(body), int64(len(body)), true)
	}, nil
}

func (s *Session) restUpload(req Request) (func(ctx context.Context) (Result, error), error) {
	if s.rest == nil {
		return nil, errors.New("bench: no gateway HTTP address")
	}
	request, err := json.Marshal(map[string]any{"input": req.Input})
	if err != nil {
		return nil, fmt.Errorf("bench: REST body: %w", err)
	}
	url := s.base + "/v1/connectors/" + req.Connector + "/actions/" + req.Action + ":upload"
	return func(ctx context.Context) (Result, error) {
		body, ct, n, err := multipartBody(req.Files, func(w *multipart.Writer) error {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="request"`)
			h.Set("Content-Type", "application/json")
			p, err := w.CreatePart(h)
			if err == nil {
				_, err = p.Write(request)
			}
			return err
		})
		if err != nil {
			return Result{}, err
		}
		return s.streamHTTP(ctx, s.rest, url, ct, body, n, false)
	}, nil
}

// multipartBody returns a multipart/form-data body of the parts fields writes followed by the files,
// as a reader that streams the files' bytes without copying them, with its content type and length.
func multipartBody(files []FileUpload, fields func(*multipart.Writer) error) (io.Reader, string, int64, error) {
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	if err := fields(w); err != nil {
		return nil, "", 0, fmt.Errorf("bench: multipart: %w", err)
	}
	var parts []io.Reader
	n := int64(0)
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.Parameter, f.Filename))
		h.Set("Content-Type", f.ContentType)
		if _, err := w.CreatePart(h); err != nil {
			return nil, "", 0, fmt.Errorf("bench: multipart: %w", err)
		}
		b := bytes.Clone(head.Bytes())
		head.Reset()
		parts = append(parts, bytes.NewReader(b), bytes.NewReader(f.Data))
		n += int64(len(b) + len(f.Data))
	}
	if err := w.Close(); err != nil {
		return nil, "", 0, fmt.Errorf("bench: multipart: %w", err)
	}
	parts = append(parts, bytes.NewReader(bytes.Clone(head.Bytes())))
	n += int64(head.Len())
	return io.MultiReader(parts...), w.FormDataContentType(), n, nil
}

// streamHTTP posts body to the gateway and reads the answer: a download is hashed as it arrives (an
// error status is an error), an upload's JSON answer (UploadFilesResponse) gives Result.Object.
func (s *Session) streamHTTP(ctx context.Context, client *http.Client, url, contentType string, body io.Reader, n int64, download bool) (Result, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return Result{}, err
	}
	hr.ContentLength = n
	hr.Header.Set("Content-Type", contentType)
	hr.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := client.Do(hr)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return Result{}, fmt.Errorf("bench: POST %s: %d %s", url, resp.StatusCode, truncate(b, 300))
	}
	if download {
		if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return Result{}, fmt.Errorf("bench: POST %s answered JSON, not a file: %s", url, truncate(b, 300))
		}
		h := newHashed()
		if _, err := io.Copy(h, resp.Body); err != nil {
			return Result{}, fmt.Errorf("bench: download: %w", err)
		}
		return h.result(), nil
	}
	var out struct {
		Result struct {
			Data map[string]any `json:"data"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return Result{}, fmt.Errorf("bench: upload answer: %w", err)
	}
	return Result{Object: out.Result.Data}, nil
}

func (s *Session) grpcDownload(req Request) (func(ctx context.Context) (Result, error), error) {
	in, err := s.grpcInput(req)
	if err != nil {
		return nil, err
	}
	msg := &bosav1.DownloadFileRequest{Connector: req.Connector, Action: req.Action, Input: in}
	md := metadata.Pairs("authorization", "Bearer "+s.Token)
	return func(ctx context.Context) (Result, error) {
		ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(ctx, md))
		defer cancel()
		stream, err := s.action.DownloadFile(ctx, msg)
		if err != nil {
			return Result{}, err
		}
		first, err := stream.Recv()
		if err != nil {
			return Result{}, err
		}
		meta := first.GetMetadata()
		if meta == nil {
			return Result{}, errors.New("bench: DownloadFile: first message carries no metadata")
		}
		h := newHashed()
		for {
			m, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				return Result{}, err
			}
			if m.GetMetadata() != nil {
				return Result{}, errors.New("bench: DownloadFile: metadata after the first message")
			}
			h.Write(m.GetChunk()) //nolint:errcheck // hashes do not fail
		}
		if meta.GetSize() >= 0 && meta.GetSize() != h.n {
			return Result{}, fmt.Errorf("bench: DownloadFile: metadata says %d bytes, %d received", meta.GetSize(), h.n)
		}
		return h.result(), nil
	}, nil
}

func (s *Session) grpcUpload(req Request) (func(ctx context.Context) (Result, error), error) {
	in, err := s.grpcInput(req)
	if err != nil {
		return nil, err
	}
	header := &bosav1.UploadFilesHeader{Connector: req.Connector, Action: req.Action, Input: in}
	for _, f := range req.Files {
		header.Files = append(header.Files, &bosav1.FileMetadata{Parameter: f.Parameter, Filename: f.Filename,
			ContentType: f.ContentType, Size: int64(len(f.Data))})
	}
	md := metadata.Pairs("authorization", "Bearer "+s.Token)
	return func(ctx context.Context) (Result, error) {
		ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(ctx, md))
		defer cancel()
		stream, err := s.action.UploadFiles(ctx)
		if err != nil {
			return Result{}, err
		}
		send := func(m *bosav1.UploadFilesRequest) error {
			if err := stream.Send(m); err != nil {
				if errors.Is(err, io.EOF) { // the server ended the call: its status says why
					_, err = stream.CloseAndRecv()
				}
				return err
			}
			return nil
		}
		if err := send(&bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Header{Header: header}}); err != nil {
			return Result{}, err
		}
		for i, f := range req.Files {
			// Chunks are read from the file as a reader, into a fresh buffer each (gRPC may hold a sent
			// message until it is written out).
			r := bytes.NewReader(f.Data)
			for {
				buf := make([]byte, uploadChunk)
				n, err := io.ReadFull(r, buf)
				if n > 0 {
					chunk := &bosav1.FileChunk{FileIndex: int32(i), Data: buf[:n]}
					if err := send(&bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Chunk{Chunk: chunk}}); err != nil {
						return Result{}, err
					}
				}
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					break
				}
				if err != nil {
					return Result{}, err
				}
			}
		}
		if err := send(&bosav1.UploadFilesRequest{Finish: true}); err != nil {
			return Result{}, err
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			return Result{}, err
		}
		return Result{Object: resp.GetResult().GetData().GetStructValue().AsMap()}, nil
	}, nil
}

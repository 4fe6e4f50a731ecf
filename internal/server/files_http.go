package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// The REST routes of DownloadFile and UploadFiles. grpc-gateway cannot map a stream of chunks to
// raw bytes or multipart, so these are hand-written handlers on the same runtime.ServeMux, and
// clients of the same in-process gRPC connection as the generated routes: they pass the same
// interceptors (request id, logging, metrics, rate limits) and get the same headers forwarded and
// the same JSON errors.

const (
	downloadPattern = "/v1/connectors/{connector}/actions/{action}:download"
	uploadPattern   = "/v1/connectors/{connector}/actions/{action}:upload"
	// requestPart is the form name of an upload's optional JSON part (UploadFilesHeader).
	requestPart = "request"
)

// registerFileRoutes adds the file routes to mux.
func (s *Server) registerFileRoutes(mux *runtime.ServeMux) error {
	client := bosav1.NewActionServiceClient(s.gateway.conn)
	chunk := min(DefaultChunkSize, s.cfg.MaxMessageBytes-chunkOverhead)
	jsonLimit := int64(s.cfg.MaxJSONBodyBytes)
	if err := mux.HandlePath(http.MethodPost, downloadPattern, func(w http.ResponseWriter, r *http.Request, p map[string]string) {
		restDownload(mux, client, w, r, p)
	}); err != nil {
		return err
	}
	return mux.HandlePath(http.MethodPost, uploadPattern, func(w http.ResponseWriter, r *http.Request, p map[string]string) {
		restUpload(mux, client, chunk, jsonLimit, w, r, p)
	})
}

// isUploadRoute reports whether r is for the upload route, whose body is not capped by the REST
// body limit: it is streamed, one chunk at a time.
func isUploadRoute(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/connectors/") && strings.HasSuffix(r.URL.Path, ":upload")
}

// restCall prepares a REST handler's gRPC call: the outgoing metadata from the request's headers,
// and a function that writes an error as every REST route does (with the call's header metadata,
// so X-Request-Id is set).
func restCall(mux *runtime.ServeMux, w http.ResponseWriter, r *http.Request, method, pattern string) (context.Context, func(error), *runtime.ServerMetadata) {
	_, outbound := runtime.MarshalerForRequest(mux, r)
	md := &runtime.ServerMetadata{}
	ctx, err := runtime.AnnotateContext(r.Context(), mux, r, method, runtime.WithHTTPPathPattern(pattern))
	fail := func(err error) {
		runtime.HTTPError(runtime.NewServerMetadataContext(ctx, *md), mux, outbound, w, r, err)
	}
	if err != nil {
		ctx = r.Context()
		fail(err)
		return nil, nil, nil
	}
	return ctx, fail, md
}

// restDownload serves POST …:download: a JSON body {"input": …, "max_attempts": n, "chunk_size": n}
// (DownloadFileRequest without the path fields), answered with the file's bytes. An error before
// the first byte is the usual JSON error; one after it aborts the connection, so the caller sees a
// truncated body.
func restDownload(mux *runtime.ServeMux, client bosav1.ActionServiceClient, w http.ResponseWriter, r *http.Request, p map[string]string) {
	ctx, fail, md := restCall(mux, w, r, bosav1.ActionService_DownloadFile_FullMethodName, downloadPattern)
	if ctx == nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := &bosav1.DownloadFileRequest{}
	if err := decodeJSONBody(r.Body, req); err != nil {
		fail(err)
		return
	}
	req.Connector, req.Action = p["connector"], p["action"]
	stream, err := client.DownloadFile(ctx, req)
	if err != nil {
		fail(err)
		return
	}
	first, err := stream.Recv()
	if err != nil {
		fail(err)
		return
	}
	meta := first.GetMetadata()
	if meta == nil {
		fail((&Error{Code: codes.Internal, Reason: ReasonInternal, Message: "internal error: the file stream did not start with metadata"}).GRPCStatus().Err())
		return
	}
	if hmd, err := stream.Header(); err == nil {
		md.HeaderMD = hmd
	}
	h := w.Header()
	if v := md.HeaderMD.Get(MDRequestID); len(v) > 0 {
		h.Set("X-Request-Id", v[0])
	}
	h.Set("Content-Type", meta.GetContentType())
	h.Set("Content-Disposition", attachment(meta.GetFilename()))
	if meta.GetSize() >= 0 {
		h.Set("Content-Length", strconv.FormatInt(meta.GetSize(), 10))
	}
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// The status line is gone: abort the response, so the caller cannot take the
			// truncated body for the whole file.
			panic(http.ErrAbortHandler)
		}
		if _, err := w.Write(msg.GetChunk()); err != nil {
			return // the caller went away; cancel ends the upstream call
		}
	}
}

// attachment is a Content-Disposition for a file name (RFC 6266): a quoted ASCII fallback, plus
// filename* (RFC 5987, UTF-8) when the name is not plain ASCII.
func attachment(name string) string {
	if name == "" {
		return "attachment"
	}
	ascii := true
	for _, c := range name {
		if c < 0x20 || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return mime.FormatMediaType("attachment", map[string]string{"filename": name})
	}
	fallback := strings.Map(func(c rune) rune {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return '_'
		}
		return c
	}, name)
	// mime.FormatMediaType writes filename*=utf-8''… for a non-ASCII value.
	return `attachment; filename="` + fallback + `"; ` + strings.TrimPrefix(mime.FormatMediaType("attachment", map[string]string{"filename": name}), "attachment; ")
}

// restUpload serves POST …:upload: a multipart/form-data body read as a stream. An optional first
// part named "request" holds UploadFilesHeader as JSON without the path fields (input,
// response_fields, response_filters, and files to declare several files); every other part is a
// file for the action parameter of its form name, with its filename and Content-Type. Without
// files in the request part, the body carries exactly one file part. The answer is the JSON of
// UploadFilesResponse.
func restUpload(mux *runtime.ServeMux, client bosav1.ActionServiceClient, chunk int, jsonLimit int64,
	w http.ResponseWriter, r *http.Request, p map[string]string) {
	ctx, fail, md := restCall(mux, w, r, bosav1.ActionService_UploadFiles_FullMethodName, uploadPattern)
	if ctx == nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mr, err := r.MultipartReader()
	if err != nil {
		fail(invalidRequest("body", "must be multipart/form-data with one part per file ("+err.Error()+")").GRPCStatus().Err())
		return
	}
	header := &bosav1.UploadFilesHeader{}
	// declared: the request part lists the files; otherwise the body carries one file part.
	declared, seenRequest := false, false
	var stream bosav1.ActionService_UploadFilesClient
	index := -1
	buf := make([]byte, chunk)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(invalidRequest("body", "malformed multipart body: "+err.Error()).GRPCStatus().Err())
			return
		}
		name := part.FormName()
		if name == requestPart && part.FileName() == "" {
			if index >= 0 || seenRequest {
				fail(invalidRequest("request", "must be the first part, and only one").GRPCStatus().Err())
				return
			}
			seenRequest = true
			if err := decodeJSONBody(io.LimitReader(part, jsonLimit), header); err != nil {
				fail(err)
				return
			}
			declared = len(header.GetFiles()) > 0
			continue
		}
		if name == "" {
			fail(invalidRequest("body", "every file part needs a form name: the action parameter it is for").GRPCStatus().Err())
			return
		}
		index++
		if !declared && index > 0 {
			fail(invalidRequest("body", "has several file parts: declare them in the files field of the request part to send several files").GRPCStatus().Err())
			return
		}
		switch {
		case !declared:
			header.Files = []*bosav1.FileMetadata{{Parameter: name, Filename: part.FileName(),
				ContentType: part.Header.Get("Content-Type"), Size: -1}}
		case index >= len(header.GetFiles()):
			fail(invalidRequest("body", fmt.Sprintf("part %q is a file beyond the %d that the request part declares in files", name, len(header.GetFiles()))).GRPCStatus().Err())
			return
		default:
			f := header.GetFiles()[index]
			if f.GetParameter() != name {
				fail(invalidRequest("body", fmt.Sprintf("part %q does not match files[%d] of the request part (parameter %q): send the parts in the declared order", name, index, f.GetParameter())).GRPCStatus().Err())
				return
			}
			if f.GetFilename() == "" {
				f.Filename = part.FileName()
			}
			if f.GetContentType() == "" {
				f.ContentType = part.Header.Get("Content-Type")
			}
		}
		if stream == nil {
			header.Connector, header.Action = p["connector"], p["action"]
			if stream, err = client.UploadFiles(ctx, grpc.Header(&md.HeaderMD), grpc.Trailer(&md.TrailerMD)); err != nil {
				fail(err)
				return
			}
			if err := stream.Send(&bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Header{Header: header}}); err != nil {
				fail(closeUpload(stream, err))
				return
			}
		}
		if err := sendPart(stream, int32(index), part, buf); err != nil {
			if errors.Is(err, errBodyRead) {
				fail(invalidRequest("body", "reading the multipart body: "+err.Error()).GRPCStatus().Err())
				return
			}
			fail(closeUpload(stream, err))
			return
		}
	}
	if stream == nil {
		fail(invalidRequest("body", "has no file part: add one part per file, named after the action parameter").GRPCStatus().Err())
		return
	}
	// The body was read to its end: only now is the upload complete (a truncated body never gets here).
	if err := stream.Send(&bosav1.UploadFilesRequest{Finish: true}); err != nil {
		fail(closeUpload(stream, err))
		return
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		fail(err)
		return
	}
	_, outbound := runtime.MarshalerForRequest(mux, r)
	runtime.ForwardResponseMessage(runtime.NewServerMetadataContext(ctx, *md), mux, outbound, w, r, resp)
}

// errBodyRead marks a failure reading the caller's request body (not the gRPC stream).
var errBodyRead = errors.New("read error")

// sendPart streams one multipart part as chunks of file index.
func sendPart(stream bosav1.ActionService_UploadFilesClient, index int32, part io.Reader, buf []byte) error {
	chunk := &bosav1.FileChunk{FileIndex: index}
	msg := &bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Chunk{Chunk: chunk}}
	for {
		n, err := readChunk(part, buf)
		if n > 0 {
			chunk.Data = buf[:n]
			if serr := stream.Send(msg); serr != nil {
				return serr
			}
		}
		switch {
		case err == nil:
		case err == io.EOF:
			return nil
		default:
			return fmt.Errorf("%w: %w", errBodyRead, err)
		}
	}
}

// closeUpload returns the status that ended an upload stream whose Send failed: Send reports
// io.EOF when the server ended the call, whose status CloseAndRecv returns.
func closeUpload(stream bosav1.ActionService_UploadFilesClient, err error) error {
	if errors.Is(err, io.EOF) {
		if _, rerr := stream.CloseAndRecv(); rerr != nil {
			return rerr
		}
	}
	return err
}

// decodeJSONBody decodes a JSON body into m as the generated REST routes do (unknown fields are an
// error); an empty body leaves m empty.
func decodeJSONBody(r io.Reader, m proto.Message) error {
	b, err := io.ReadAll(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return bodyTooLarge(mbe.Limit).GRPCStatus().Err()
		}
		return invalidRequest("body", "could not be read: "+err.Error()).GRPCStatus().Err()
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(b, m); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\u00a0", " ")
		return invalidRequest("body", strings.TrimPrefix(msg, "proto: ")).GRPCStatus().Err()
	}
	return nil
}

package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// This file streams files through the gateway (DownloadFile, UploadFiles): the gateway holds one
// chunk at a time, whatever the file's size. Validation, credentials and options are prepare's, as
// for ExecuteAction; errors go through toStatus. gRPC flow control gives backpressure both ways: a
// download reads the upstream body only as fast as the caller takes chunks, and an upload's chunks
// are received only as fast as the upstream takes them.

// DefaultChunkSize is the chunk size of DownloadFile when the request names none, and of the REST
// routes' in-process calls: a message of at most 32 KiB, the framing included. Measured peak RSS of
// the gateway (10 and 50 MiB files) is 4 to 8 MiB lower with 32 KiB chunks than with 256 KiB: fewer
// bytes are in flight between the upstream, the transport and the caller, and the buffers fit
// grpc-go's 32 KiB pool tier.
const DefaultChunkSize = 32<<10 - chunkOverhead

// chunkOverhead leaves room for the message framing around a chunk under a message size.
const chunkOverhead = 64

// bufferPool is the gRPC servers' and the in-process connection's buffer pool: grpc-go's default
// tiers (256 B, 4, 16 and 32 KiB, 1 MiB) plus 64 to 512 KiB. Without them every message above
// 32 KiB, such as a file chunk, takes a 1 MiB buffer to encode and another to decode: four times a
// default chunk, and most of a file stream's memory.
var bufferPool = func() mem.BufferPool {
	p, err := mem.NewBinaryTieredBufferPool(8, 12, 14, 15, 16, 17, 18, 19, 20)
	if err != nil {
		panic(err)
	}
	return p
}()

// fileCall adapts DownloadFileRequest and UploadFilesHeader to actionInput, for prepare.
type fileCall struct {
	connector, action string
	input             *structpb.Struct
	fields            []string
	filters           []*bosav1.ResponseFilter
	attempts          int32
}

func (f *fileCall) GetConnector() string                         { return f.connector }
func (f *fileCall) GetAction() string                            { return f.action }
func (f *fileCall) GetInput() *structpb.Struct                   { return f.input }
func (f *fileCall) GetFiles() []*bosav1.File                     { return nil }
func (f *fileCall) GetResponseFields() []string                  { return f.fields }
func (f *fileCall) GetResponseFilters() []*bosav1.ResponseFilter { return f.filters }
func (f *fileCall) GetMaxAttempts() int32                        { return f.attempts }
func (f *fileCall) GetPageToken() string                         { return "" }

// chunkSize is the chunk size for a requested one: the default for 0, capped by the message limit.
func (s *actionService) chunkSize(requested int32) (int, error) {
	if requested < 0 {
		return 0, invalidRequest("chunk_size", "must not be negative")
	}
	size := DefaultChunkSize
	if requested > 0 {
		size = int(requested)
	}
	return max(1, min(size, s.maxMessageBytes-chunkOverhead)), nil
}

// DownloadFile streams the file an action returns: metadata first, then chunks of at most
// chunk_size bytes. An error before the metadata is the call's status as for ExecuteAction; an
// upstream failure mid-file ends the stream with the mapped status.
func (s *actionService) DownloadFile(req *bosav1.DownloadFileRequest, stream bosav1.ActionService_DownloadFileServer) error {
	ctx := stream.Context()
	chunk, err := s.chunkSize(req.GetChunkSize())
	if err != nil {
		return toStatus(err)
	}
	params, opts, err := s.prepare(ctx, &fileCall{connector: req.GetConnector(), action: req.GetAction(),
		input: req.GetInput(), attempts: req.GetMaxAttempts()})
	if err != nil {
		return toStatus(err)
	}
	d, err := s.client.Download(ctx, req.GetConnector(), req.GetAction(), params, opts...)
	if err != nil {
		return toStatus(err)
	}
	defer d.Close()
	meta := &bosav1.FileMetadata{Filename: d.Filename, ContentType: d.ContentType, Size: d.Size}
	if err := stream.Send(&bosav1.DownloadFileResponse{Part: &bosav1.DownloadFileResponse_Metadata{Metadata: meta}}); err != nil {
		return err
	}
	// One buffer for the whole stream: Send has encoded the message when it returns.
	buf := make([]byte, chunk)
	msg := &bosav1.DownloadFileResponse_Chunk{}
	for {
		n, err := readChunk(d, buf)
		if n > 0 {
			msg.Chunk = buf[:n]
			if err := stream.Send(&bosav1.DownloadFileResponse{Part: msg}); err != nil {
				return err
			}
		}
		switch {
		case err == nil:
		case err == io.EOF:
			return nil
		default:
			return toStatus(err)
		}
	}
}

// UploadFiles receives the header, checks it, then streams each file's chunks upstream as they
// arrive, through one pipe per file read by bosaclient's streaming upload. The upstream call is made
// once: a streamed body cannot be replayed.
func (s *actionService) UploadFiles(stream bosav1.ActionService_UploadFilesServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return toStatus(invalidRequest("header", "is required: the first message of the stream must be the header"))
	}
	if err != nil {
		return err
	}
	h := first.GetHeader()
	if h == nil {
		return toStatus(invalidRequest("header", "is required: a chunk arrived before the header"))
	}
	params, opts, err := s.prepare(ctx, &fileCall{connector: h.GetConnector(), action: h.GetAction(), input: h.GetInput(),
		fields: h.GetResponseFields(), filters: h.GetResponseFilters(), attempts: 1})
	if err != nil {
		return toStatus(err)
	}
	if err := s.checkUploadFiles(ctx, h, params); err != nil {
		return toStatus(err)
	}
	if err := checkRequestID("header.request_id", h.GetRequestId()); err != nil {
		return toStatus(err)
	}
	// A retry with the header's request_id gets the first call's answer without its chunks being
	// read (see idempotency.go).
	out, err := idempotent(ctx, s.requests, "UploadFiles", h.GetRequestId(), h, func() (*bosav1.UploadFilesResponse, error) {
		return s.upload(ctx, stream, first, params, opts)
	})
	if err != nil {
		return toStatus(err)
	}
	return stream.SendAndClose(out)
}

// upload streams the files of an UploadFiles call upstream and returns the action's result.
func (s *actionService) upload(ctx context.Context, stream bosav1.ActionService_UploadFilesServer, first *bosav1.UploadFilesRequest,
	params map[string]any, opts []bosaclient.CallOption) (*bosav1.UploadFilesResponse, error) {
	h := first.GetHeader()
	metas := h.GetFiles()
	readers := make([]*io.PipeReader, len(metas))
	writers := make([]*io.PipeWriter, len(metas))
	files := make([]bosaclient.FileParam, len(metas))
	for i, m := range metas {
		readers[i], writers[i] = io.Pipe()
		files[i] = bosaclient.FileParam{Parameter: m.GetParameter(), File: bosaclient.File{
			Filename: m.GetFilename(), ContentType: m.GetContentType(), Body: readers[i]}}
	}
	received := make(chan error, 1)
	go func() { received <- receiveChunks(stream, metas, writers, first.GetFinish(), s.uploadIdle) }()

	r, err := s.client.Upload(ctx, h.GetConnector(), h.GetAction(), params, files, opts...)
	// Unblock the receiver if the upstream answered before reading every file.
	for _, pr := range readers {
		pr.CloseWithError(errUploadEnded)
	}
	if err != nil {
		// The caller's own mistake explains a failed upload better than the upstream's reaction to
		// the aborted body: input that failed validation (found before anything was sent, while the
		// receiver may already have failed on the stream), then a stream error (a size mismatch,
		// a bad index, no finish).
		var ge *Error
		if errors.As(err, &ge) {
			return nil, ge
		}
		if errors.Is(err, bosaclient.ErrInvalidArgument) {
			return nil, err
		}
		select {
		case rerr := <-received:
			if errors.As(rerr, &ge) {
				return nil, ge
			}
		default:
		}
		return nil, err
	}
	if err := <-received; err != nil && !errors.Is(err, errUploadEnded) {
		return nil, err
	}
	out, err := resultMessage(r)
	if err != nil {
		return nil, err
	}
	return &bosav1.UploadFilesResponse{Result: out}, nil
}

// errUploadEnded stops the receiver of an upload whose upstream call has ended.
var errUploadEnded = errors.New("upload ended")

// checkUploadFiles checks the header's files before anything is received: each names a file
// parameter of the action that the input does not also set, and declares a size of -1 or more.
func (s *actionService) checkUploadFiles(ctx context.Context, h *bosav1.UploadFilesHeader, params map[string]any) error {
	if len(h.GetFiles()) == 0 {
		return invalidRequest("header.files", "is required: name at least one file")
	}
	a, err := s.client.Action(ctx, h.GetConnector(), h.GetAction())
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, f := range h.GetFiles() {
		field := "header.files[" + strconv.Itoa(i) + "]"
		name := f.GetParameter()
		if name == "" {
			return invalidRequest(field+".parameter", "is required")
		}
		var p = a.Schema
		if p != nil {
			p = p.Properties[name]
		}
		if p == nil {
			return invalidRequest(field+".parameter", quote(name)+" is not a parameter of "+h.GetConnector()+"/"+h.GetAction())
		}
		if !p.IsBinary() {
			return invalidRequest(field+".parameter", quote(name)+" is not a file parameter of "+h.GetConnector()+"/"+h.GetAction()+"; send it in input")
		}
		if seen[name] && p.NonNull().Type != "array" {
			return invalidRequest(field+".parameter", quote(name)+" takes one file, and an earlier file names it too")
		}
		seen[name] = true
		if _, ok := params[name]; ok {
			return invalidRequest(field+".parameter", quote(name)+" is also set in input")
		}
		if f.GetSize() < -1 {
			return invalidRequest(field+".size", "must be -1 (unknown) or more")
		}
	}
	return nil
}

// receiveChunks feeds the chunks of an upload stream into the files' pipes, in order, checking
// indexes and declared sizes. It closes every pipe: at the end of a stream whose last message set
// finish (nil), or with the error that stopped it, which is also its result. A stream that ends without finish is
// abandoned: its pipes fail, so the upstream request is aborted rather than completed with what
// arrived. So is one whose next message (or end, after finish) takes longer than idle. finished
// reports whether the header itself set finish.
func receiveChunks(stream bosav1.ActionService_UploadFilesServer, metas []*bosav1.FileMetadata, writers []*io.PipeWriter, finished bool, idle time.Duration) error {
	current, written := 0, int64(0)
	idleErr := &Error{Code: codes.DeadlineExceeded, Reason: ReasonUploadIdle, Message: fmt.Sprintf(
		"no message arrived for %v, so the upload was aborted and nothing stored; keep sending chunks, "+
			"and end the stream (half-close) right after the message with finish", idle)}
	// recv waits for the next message for at most idle. On timeout every pipe fails (a pipe keeps
	// its first error, so files already complete are unaffected), which aborts the upstream request;
	// the handler then returns and Recv ends.
	recv := func() (*bosav1.UploadFilesRequest, error) {
		t := time.AfterFunc(idle, func() {
			for _, w := range writers {
				w.CloseWithError(idleErr)
			}
		})
		msg, err := stream.Recv()
		if !t.Stop() {
			return nil, idleErr
		}
		return msg, err
	}
	// next closes the current file after checking its size, and moves to the next one.
	next := func() error {
		if want := metas[current].GetSize(); want >= 0 && written != want {
			return sizeMismatch(current, want, written)
		}
		writers[current].Close()
		current, written = current+1, 0
		return nil
	}
	fail := func(err error) error {
		for _, w := range writers[min(current, len(writers)):] {
			w.CloseWithError(err)
		}
		return err
	}
	for !finished {
		msg, err := recv()
		if errors.Is(err, io.EOF) {
			return fail(invalidRequest("finish", "no message set it: the stream ended without marking the upload complete, "+
				"so it was treated as abandoned and nothing was sent upstream in full; set finish on the last message"))
		}
		if err != nil {
			return fail(err)
		}
		if msg.GetHeader() != nil {
			return fail(invalidRequest("header", "was sent twice: only the first message may be the header"))
		}
		finished = msg.GetFinish()
		c := msg.GetChunk()
		if c == nil {
			if !finished {
				return fail(invalidRequest("part", "is empty: a message after the header carries a chunk, finish, or both"))
			}
			break
		}
		idx := int(c.GetFileIndex())
		switch {
		case idx < 0 || idx >= len(writers):
			return fail(invalidRequest("chunk.file_index", fmt.Sprintf("%d is out of range: the header names %d files", idx, len(writers))))
		case idx < current:
			return fail(invalidRequest("chunk.file_index", fmt.Sprintf("%d goes backwards: file %d was already sent; send each file's chunks together, files in header order", idx, current)))
		}
		for current < idx {
			if err := next(); err != nil {
				return fail(err)
			}
		}
		written += int64(len(c.GetData()))
		if want := metas[current].GetSize(); want >= 0 && written > want {
			return fail(sizeMismatch(current, want, written))
		}
		if _, err := writers[current].Write(c.GetData()); err != nil {
			return fail(err)
		}
	}
	// Nothing may follow finish: the files are completed only at the end of a well-formed stream.
	if _, err := recv(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = invalidRequest("finish", "was set on an earlier message: nothing may follow it")
		}
		return fail(err)
	}
	for current < len(writers) {
		if err := next(); err != nil {
			return fail(err)
		}
	}
	return nil
}

// sizeMismatch is the error of a file whose chunks do not add up to its declared size.
func sizeMismatch(index int, want, got int64) *Error {
	e := invalidRequest("header.files["+strconv.Itoa(index)+"].size",
		fmt.Sprintf("declares %d bytes but the chunks of file %d carry %d or more", want, index, got))
	if got < want {
		e = invalidRequest("header.files["+strconv.Itoa(index)+"].size",
			fmt.Sprintf("declares %d bytes but the chunks of file %d carry %d", want, index, got))
	}
	return e
}

// readChunk reads until buf is full or r fails. Unlike io.ReadFull it returns r's error as it is:
// io.EOF only for a clean end, so that a truncated source (io.ErrUnexpectedEOF from a multipart
// part or an HTTP body) is never taken for the end of a file.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

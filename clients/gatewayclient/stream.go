package gatewayclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// Paginate streams the pages of a paged action. Breaking out of the loop cancels the stream;
// an error is yielded once, last.
func (c *Client) Paginate(ctx context.Context, req *bosav1.PaginateRequest) iter.Seq2[*bosav1.PaginateResponse, error] {
	return func(yield func(*bosav1.PaginateResponse, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.Actions.Paginate(ctx, req)
		if err != nil {
			yield(nil, err)
			return
		}
		for {
			page, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) {
				return
			}
		}
	}
}

// Download runs an action that returns a file (DownloadFile) and writes its bytes to w, one chunk
// at a time; it returns the file's metadata. A short stream fails with an error, as does a write.
func (c *Client) Download(ctx context.Context, req *bosav1.DownloadFileRequest, w io.Writer) (*bosav1.FileMetadata, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Actions.DownloadFile(ctx, req)
	if err != nil {
		return nil, err
	}
	first, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	meta := first.GetMetadata()
	if meta == nil {
		return nil, errors.New("gatewayclient: DownloadFile did not start with the file's metadata")
	}
	var n int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return meta, err
		}
		if _, err := w.Write(msg.GetChunk()); err != nil {
			return meta, fmt.Errorf("gatewayclient: writing %s: %w", meta.GetFilename(), err)
		}
		n += int64(len(msg.GetChunk()))
	}
	if meta.GetSize() >= 0 && n != meta.GetSize() {
		return meta, fmt.Errorf("gatewayclient: received %d bytes of a file of %d", n, meta.GetSize())
	}
	return meta, nil
}

// ChunkSize is the bytes per UploadFiles chunk: a message of at most 32 KiB with its framing.
const ChunkSize = 32*1024 - 64

// File is one file parameter of Upload. Size is the content's length, or -1 when unknown
// (a declared size makes the gateway reject content of another length).
type File struct {
	Parameter, Filename, ContentType string
	Size                             int64
	Content                          io.Reader
}

// Upload runs an action with file parameters (UploadFiles): header (its files are set from
// files), then each file's content in ChunkSize chunks, the last message carrying finish. A read
// error cancels the call before finish, so the action does not run and nothing is stored.
func (c *Client) Upload(ctx context.Context, header *bosav1.UploadFilesHeader, files ...File) (*bosav1.ExecuteActionResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	header.Files = header.Files[:0]
	for _, f := range files {
		header.Files = append(header.Files, &bosav1.FileMetadata{
			Parameter: f.Parameter, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size,
		})
	}
	stream, err := c.Actions.UploadFiles(ctx)
	if err != nil {
		return nil, err
	}
	// Each message is sent once the next is read, so the last one can carry finish.
	pending := &bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Header{Header: header}}
	buf := make([]byte, ChunkSize)
	for i, f := range files {
		for {
			n, rerr := io.ReadFull(f.Content, buf)
			if n > 0 {
				if err := stream.Send(pending); err != nil {
					return nil, sendErr(stream, err)
				}
				pending = &bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Chunk{
					Chunk: &bosav1.FileChunk{FileIndex: int32(i), Data: append([]byte(nil), buf[:n]...)},
				}}
			}
			if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
				break
			}
			if rerr != nil {
				return nil, fmt.Errorf("gatewayclient: reading %s: %w", f.Filename, rerr)
			}
		}
	}
	pending.Finish = true
	if err := stream.Send(pending); err != nil {
		return nil, sendErr(stream, err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, err
	}
	return resp.GetResult(), nil
}

// sendErr returns the call's status after a failed Send (Send itself only reports io.EOF).
func sendErr(stream bosav1.ActionService_UploadFilesClient, err error) error {
	if errors.Is(err, io.EOF) {
		if _, rerr := stream.CloseAndRecv(); rerr != nil {
			return rerr
		}
	}
	return err
}

package bosaclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// This file streams files: Download hands out a file answer's body as it arrives, and Upload sends
// files whose content comes from an io.Reader (File.Body) without holding them in memory.
//
// Limits and timeouts of streams differ from buffered calls. WithMaxResponseBytes bounds buffered
// answers only: a streamed download is not capped (a JSON or error answer still is); bound it with
// an io.LimitReader when needed. The per-attempt timeout (WithTimeout, WithCallTimeout) bounds the
// wait for the answer's headers only, counted for an upload from the end of its body; the transfer
// itself is bounded by the caller's context.

// ErrNotFile matches the error of Download when the action answered with JSON data instead of a file.
var ErrNotFile = errors.New("response is not a file")

// NotFileError is Download's error when the action answered with JSON data instead of a file. It
// matches ErrNotFile; Response holds the decoded answer.
type NotFileError struct {
	Connector, Action string
	// Response is the JSON answer, decoded as Execute would (bounded by WithMaxResponseBytes).
	Response *ActionResponse
}

func (e *NotFileError) Error() string {
	return fmt.Sprintf("bosaclient: %s/%s: %v: the action answered with JSON data", e.Connector, e.Action, ErrNotFile)
}

// Is reports whether target is ErrNotFile.
func (e *NotFileError) Is(target error) bool { return target == ErrNotFile }

// Download is a file answer whose body is streamed. The caller must close Body (Close does).
type Download struct {
	// Filename comes from Content-Disposition, preferring filename* (as File.Filename).
	Filename string
	// ContentType is the answer's Content-Type, or application/octet-stream when there is none.
	ContentType string
	// Size is the Content-Length, or -1 when the server did not announce it.
	Size int64
	// Status is the HTTP status; Header holds every response header.
	Status int
	Header http.Header
	// Body reads the file's bytes as they arrive. A failure while reading is a *NetworkError
	// (ErrUnavailable; a truncated body is also io.ErrUnexpectedEOF), or the context's error when
	// the caller's context ended.
	Body io.ReadCloser
}

// Read reads from Body.
func (d *Download) Read(p []byte) (int, error) { return d.Body.Read(p) }

// Close closes Body, releasing the connection.
func (d *Download) Close() error { return d.Body.Close() }

// Download runs an action that answers with a file and returns the file with its body unread, so
// that a file of any size is never held in memory. Validation, encoding, headers, retries (per
// RetryPolicy and WithMaxAttempts, only before the body is handed out) and errors are Execute's. A
// JSON answer is a *NotFileError (matching ErrNotFile) carrying the decoded response. See the note at
// the top of this file for limits and timeouts.
func (c *Client) Download(ctx context.Context, connector, action string, params map[string]any, opts ...CallOption) (*Download, error) {
	cc := newCallConfig(opts)
	req, _, err := c.actionRequest(ctx, connector, action, params)
	if err != nil {
		return nil, err
	}
	attempts := c.retry.MaxAttempts
	if cc.maxAttempts > 0 {
		attempts = cc.maxAttempts
	}
	var dl *Download
	r, err := c.retry.do(ctx, c.logger, req, attempts, func(ctx context.Context, attempt int) (*response, error) {
		resp, stop, err := c.open(ctx, req, cc, attempt)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 || isJSON(resp.Header.Get("Content-Type")) {
			defer stop()
			defer resp.Body.Close()
			return c.readResponse(ctx, req, resp, attempt, time.Now())
		}
		ct := resp.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		dl = &Download{
			Filename: filenameFromDisposition(resp.Header.Get("Content-Disposition")), ContentType: ct,
			Size: resp.ContentLength, Status: resp.StatusCode, Header: resp.Header,
			Body: &streamBody{body: resp.Body, ctx: ctx, req: req, stop: stop},
		}
		return &response{status: resp.StatusCode, header: resp.Header}, nil
	})
	if err != nil {
		return nil, err
	}
	if dl != nil {
		return dl, nil
	}
	ar, err := c.actionResponse(r, connector, action, nil, cc)
	if err != nil {
		return nil, err
	}
	return nil, &NotFileError{Connector: connector, Action: action, Response: ar}
}

// open sends one attempt and returns the answer with its body unread; stop releases the attempt's
// context once the body is done with. The per-attempt timeout runs until the headers arrive,
// starting, for a streamed request body, when that body has been read to its end.
func (c *Client) open(ctx context.Context, req *request, cc *callConfig, attempt int) (*http.Response, context.CancelFunc, error) {
	timeout := req.timeout
	if cc.timeout > 0 {
		timeout = cc.timeout
	}
	actx, cancel := context.WithCancel(ctx)
	var (
		timedOut atomic.Bool
		mu       sync.Mutex
		timer    *time.Timer
		answered bool
	)
	arm := func() {
		mu.Lock()
		defer mu.Unlock()
		if timer == nil && !answered {
			timer = time.AfterFunc(timeout, func() { timedOut.Store(true); cancel() })
		}
	}
	disarm := func() {
		mu.Lock()
		defer mu.Unlock()
		answered = true
		if timer != nil {
			timer.Stop()
		}
	}
	sent := *req
	if req.stream != nil {
		sent.stream = &eofHook{r: req.stream, onEOF: arm}
	} else {
		arm()
	}
	hr, err := c.newHTTPRequest(actx, &sent, cc)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	start := time.Now()
	resp, err := c.http.Do(hr)
	disarm()
	if err == nil && timedOut.Load() {
		resp.Body.Close()
		err = context.DeadlineExceeded
	}
	if err != nil {
		cancel()
		c.logger.LogAttrs(ctx, slog.LevelDebug, "bosa request failed", slog.String("method", req.method),
			slog.String("path", req.path), slog.Int("attempt", attempt), slog.Duration("elapsed", time.Since(start)))
		if timedOut.Load() {
			err = fmt.Errorf("attempt timed out: %w", context.DeadlineExceeded)
		}
		return nil, nil, networkError(req, ctx, 0, err)
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "bosa stream", slog.String("method", req.method),
		slog.String("path", req.path), slog.Int("status", resp.StatusCode), slog.Int("attempt", attempt),
		slog.Int64("content_length", resp.ContentLength), slog.Duration("elapsed", time.Since(start)))
	return resp, cancel, nil
}

// eofHook calls onEOF once the reader has been read to its end.
type eofHook struct {
	r     io.Reader
	onEOF func()
}

func (h *eofHook) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if errors.Is(err, io.EOF) {
		h.onEOF()
	}
	return n, err
}

// streamBody is a streamed answer's body: read errors become the caller's context error or a
// *NetworkError, and Close releases the attempt.
type streamBody struct {
	body io.ReadCloser
	ctx  context.Context // the caller's context
	req  *request
	stop context.CancelFunc
	once sync.Once
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err == nil || errors.Is(err, io.EOF) {
		return n, err
	}
	if cerr := b.ctx.Err(); cerr != nil {
		return n, fmt.Errorf("bosaclient: %s %s: %w", b.req.method, b.req.path, cerr)
	}
	return n, &NetworkError{Method: b.req.method, Path: b.req.path, Err: err}
}

func (b *streamBody) Close() error {
	err := b.body.Close()
	b.once.Do(b.stop)
	return err
}

// FileParam is a streamed file for one action parameter (Upload).
type FileParam struct {
	// Parameter is the action parameter, e.g. "file".
	Parameter string
	// File is the file; its content is Body when set, else Data.
	File File
}

// Upload runs an action with files and streams them: the body is a multipart form written while it
// is sent, so a File's Body is read as the server consumes it and never held in memory. params holds
// the other parameters (and may hold files too, written first in parameter-name order); files are
// written after them in the given order (several may name the same parameter when it takes a list),
// so a caller feeding the Bodies in that order never blocks. Validation and errors are Execute's.
//
// The call is sent once: a streamed body cannot be replayed, so it is never retried whatever the
// retry policy. An error reading a Body fails the call with that error (wrapped). Upload does not
// wait for the Bodies to be read to their end: when the server answers early, the rest is not read.
func (c *Client) Upload(ctx context.Context, connector, action string, params map[string]any, files []FileParam, opts ...CallOption) (*ActionResponse, error) {
	cc := newCallConfig(opts)
	a, norm, err := c.actionParams(ctx, connector, action, params)
	if err != nil {
		return nil, err
	}
	streamed := map[string][]any{}
	for i, fp := range files {
		if fp.Parameter == "" {
			return nil, fmt.Errorf("bosaclient: %s/%s: files[%d]: %w: parameter is required", connector, action, i, ErrInvalidArgument)
		}
		if _, ok := norm[fp.Parameter]; ok {
			return nil, fmt.Errorf("bosaclient: %s/%s: parameter %q: %w: given both in params and in files", connector, action, fp.Parameter, ErrInvalidArgument)
		}
		streamed[fp.Parameter] = append(streamed[fp.Parameter], fp.File)
	}
	for name, fs := range streamed {
		if len(fs) == 1 && (a.Schema == nil || a.Schema.Properties[name] == nil || a.Schema.Properties[name].NonNull().Type != "array") {
			norm[name] = fs[0]
		} else {
			norm[name] = fs
		}
	}
	valid, err := c.validate(a, norm)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(valid))
	rest := make(map[string]any, len(valid))
	for k, v := range valid {
		if _, ok := streamed[k]; !ok {
			keys = append(keys, k)
			rest[k] = v
		}
	}
	sort.Strings(keys)
	form, err := formValues(keys, rest)
	if err != nil {
		return nil, fmt.Errorf("bosaclient: %s/%s: %w", connector, action, err)
	}
	parts := filesInKeyOrder(keys, rest)
	for i := range files {
		parts = append(parts, namedFile{files[i].Parameter, &files[i].File})
	}
	for _, p := range parts {
		if _, err := partContentType(p.param, p.file); err != nil {
			return nil, fmt.Errorf("bosaclient: %s/%s: %w", connector, action, err)
		}
	}

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	var (
		mu       sync.Mutex
		writeErr error
	)
	go func() {
		err := writeMultipart(mw, keys, form, parts)
		if err != nil && !errors.Is(err, io.ErrClosedPipe) {
			mu.Lock()
			writeErr = err
			mu.Unlock()
		}
		pw.CloseWithError(err)
	}()
	defer pr.CloseWithError(errUploadDone) // unblocks the writer when the server answered early
	// On cancellation net/http waits for the body writer, which may be blocked reading a Body:
	// end the body at once.
	defer context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })()
	req := &request{method: "POST", path: a.Path, stream: pr, contentType: mw.FormDataContentType(),
		timeout: c.actionTimeout, connector: connector, action: action}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bosaclient: %s %s: %w", req.method, req.path, err)
	}
	resp, stop, err := c.open(ctx, req, cc, 1)
	if err == nil {
		var r *response
		r, err = c.readResponse(ctx, req, resp, 1, time.Now())
		resp.Body.Close()
		stop()
		if err == nil {
			return c.actionResponse(r, connector, action, nil, cc)
		}
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, fmt.Errorf("bosaclient: %s %s: %w", req.method, req.path, cerr)
	}
	mu.Lock()
	defer mu.Unlock()
	if writeErr != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			return nil, fmt.Errorf("bosaclient: %s/%s: read file: %w", connector, action, writeErr)
		}
	}
	return nil, err
}

// errUploadDone ends the body writer of an upload that got its answer.
var errUploadDone = errors.New("bosaclient: upload answered")

// hasStreamedFile reports whether a parameter value is a File (or list of Files) with a Body.
func hasStreamedFile(params map[string]any) bool {
	for _, v := range params {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				if fs, ok := fileList(e); ok && fs[0].Body != nil {
					return true
				}
			}
			continue
		}
		if fs, ok := fileList(v); ok {
			for _, f := range fs {
				if f.Body != nil {
					return true
				}
			}
		}
	}
	return false
}

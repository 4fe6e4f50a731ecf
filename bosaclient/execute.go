package bosaclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"bosa.dev/gateway/schema"
	"bosa.dev/gateway/shape"
)

// Execute runs an action: it validates params against the action's schema (no request is sent when they
// are invalid: the error is a *ValidationError), encodes them (spec §6.2: JSON; multipart when a value is a
// File or a list of Files; urlencoded when the schema has binary fields but no file is given), sends them
// with retries per RetryPolicy, and decodes the answer.
//
// A 2xx JSON answer gives Data and Meta; any other 2xx answer gives File. A non-2xx answer is an *APIError
// (unlike the Python SDK, whose execute returns error bodies as data); its Body holds the raw answer.
//
// Nil values are omitted; other values are sent as given (the SDK also drops "" and trims strings). Values
// may be JSON-like Go values (string, bool, numbers, []any, map[string]any, typed slices and maps),
// shape.Filter values, structs (sent as their JSON form), File values, lists of Files, and []byte (uploaded
// as a file named after the parameter).
//
// A File whose Body is set is streamed as Upload does (sent once, never retried).
func (c *Client) Execute(ctx context.Context, connector, action string, params map[string]any, opts ...CallOption) (*ActionResponse, error) {
	if hasStreamedFile(params) {
		return c.Upload(ctx, connector, action, params, nil, opts...)
	}
	return c.execute(ctx, connector, action, params, newCallConfig(opts))
}

// Run is Execute for callers that need a JSON answer (data and meta, for paging): a file answer is an error
// matching ErrNotJSON. It mirrors the SDK's run(), which returns an ActionResponse.
func (c *Client) Run(ctx context.Context, connector, action string, params map[string]any, opts ...CallOption) (*ActionResponse, error) {
	r, err := c.execute(ctx, connector, action, params, newCallConfig(opts))
	if err != nil {
		return nil, err
	}
	if r.File != nil {
		return nil, fmt.Errorf("bosaclient: %s/%s: %w (Content-Type %q)", connector, action, ErrNotJSON, r.File.ContentType)
	}
	return r, nil
}

func (c *Client) execute(ctx context.Context, connector, action string, params map[string]any, cc *callConfig) (*ActionResponse, error) {
	req, norm, err := c.actionRequest(ctx, connector, action, params)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, req, cc, true)
	if err != nil {
		return nil, err
	}
	return c.actionResponse(resp, connector, action, norm, cc)
}

// actionParams looks up an action and normalizes the call's parameters: the first step of every
// action call.
func (c *Client) actionParams(ctx context.Context, connector, action string, params map[string]any) (*Action, map[string]any, error) {
	a, err := c.Action(ctx, connector, action)
	if err != nil {
		return nil, nil, err
	}
	norm, err := normalizeParams(params)
	if err != nil {
		return nil, nil, fmt.Errorf("bosaclient: %s/%s: %w", connector, action, err)
	}
	return a, norm, nil
}

// actionRequest validates and encodes an action call (Execute's and Download's steps before
// sending) and returns it with the normalized parameters.
func (c *Client) actionRequest(ctx context.Context, connector, action string, params map[string]any) (*request, map[string]any, error) {
	a, norm, err := c.actionParams(ctx, connector, action, params)
	if err != nil {
		return nil, nil, err
	}
	valid, err := c.validate(a, norm)
	if err != nil {
		return nil, nil, err
	}
	body, ctype, err := encodeBody(a.Schema, valid)
	if err != nil {
		return nil, nil, fmt.Errorf("bosaclient: %s/%s: %w", connector, action, err)
	}
	return &request{method: "POST", path: a.Path, body: body, contentType: ctype,
		timeout: c.actionTimeout, connector: connector, action: action}, norm, nil
}

// actionResponse decodes a 2xx action answer and binds it to the call that made it (for paging).
func (c *Client) actionResponse(resp *response, connector, action string, params map[string]any, cc *callConfig) (*ActionResponse, error) {
	r, err := decodeAction(resp, cc.rawData)
	if err != nil {
		return nil, fmt.Errorf("bosaclient: %s/%s: %w", connector, action, err)
	}
	r.client, r.connector, r.action, r.params, r.cc = c, connector, action, params, cc
	return r, nil
}

// validate checks params against the action schema with the schema package.
func (c *Client) validate(a *Action, params map[string]any) (map[string]any, error) {
	unknown := schema.UnknownReject
	switch c.unknown {
	case DropUnknown:
		unknown = schema.UnknownDrop
	case KeepUnknown:
		unknown = schema.UnknownKeep
	}
	out, err := a.Schema.Validate(params, schema.Options{Lax: c.lax, Unknown: unknown, IsFile: isFileValue})
	if err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return nil, &ValidationError{Connector: a.Connector, Action: a.Name, Err: ve}
		}
		return nil, fmt.Errorf("bosaclient: %s/%s: validate: %w: %w", a.Connector, a.Name, ErrInvalidArgument, err)
	}
	return out, nil
}

// isFileValue reports whether v is an upload value (for schema binary fields).
func isFileValue(v any) bool {
	switch v.(type) {
	case File, *File, []byte:
		return true
	}
	return false
}

// fileList returns the files of a top-level value that forces multipart: a File or a non-empty list of Files.
func fileList(v any) ([]*File, bool) {
	switch t := v.(type) {
	case File:
		return []*File{&t}, true
	case *File:
		if t == nil {
			return nil, false
		}
		return []*File{t}, true
	case []File:
		out := make([]*File, len(t))
		for i := range t {
			out[i] = &t[i]
		}
		return out, len(out) > 0
	case []*File:
		return t, len(t) > 0
	case []byte:
		return []*File{{Data: t}}, true
	case []any:
		if len(t) == 0 {
			return nil, false
		}
		out := make([]*File, 0, len(t))
		for _, e := range t {
			f, ok := fileList(e)
			if !ok || len(f) != 1 {
				return nil, false
			}
			out = append(out, f[0])
		}
		return out, true
	}
	return nil, false
}

// normalizeParams turns params into JSON-model values (nil, bool, string, float64/int, []any,
// map[string]any) plus File values, omitting top-level nils. Typed slices, maps, structs and shape.Filter
// values go through their JSON form.
func normalizeParams(params map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(params))
	for k, v := range params {
		if v == nil {
			continue
		}
		n, err := normalizeValue(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w: %w", k, ErrInvalidArgument, err)
		}
		if n == nil {
			continue
		}
		out[k] = n
	}
	return out, nil
}

func normalizeValue(v any) (any, error) {
	switch t := v.(type) {
	case nil, bool, string, float64, json.Number,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32:
		return normalizeNumber(t), nil
	case File, []byte:
		return t, nil
	case *File:
		if t == nil {
			return nil, nil
		}
		return t, nil
	case []File:
		out := make([]any, len(t))
		for i := range t {
			out[i] = t[i]
		}
		return out, nil
	case []*File:
		out := make([]any, 0, len(t))
		for _, f := range t {
			if f != nil {
				out = append(out, f)
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			n, err := normalizeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			n, err := normalizeValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return out, nil
	case shape.Filter, *shape.Filter, []shape.Filter, []*shape.Filter:
		return viaJSON(t)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, nil
	}
	return viaJSON(v)
}

// normalizeNumber converts Go integer and float32 values to float64 when exact, like decoded JSON.
func normalizeNumber(v any) any {
	switch t := v.(type) {
	case int:
		return float64(t)
	case int8:
		return float64(t)
	case int16:
		return float64(t)
	case int32:
		return float64(t)
	case int64:
		if t > 1<<53 || t < -(1<<53) {
			return json.Number(strconv.FormatInt(t, 10))
		}
		return float64(t)
	case uint:
		return normalizeNumber(uint64(t))
	case uint8:
		return float64(t)
	case uint16:
		return float64(t)
	case uint32:
		return float64(t)
	case uint64:
		if t > 1<<53 {
			return json.Number(strconv.FormatUint(t, 10))
		}
		return float64(t)
	case float32:
		return float64(t)
	}
	return v
}

func viaJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// encodeBody picks and applies the body encoding of spec §6.2.
func encodeBody(s *schema.Schema, params map[string]any) (body []byte, contentType string, err error) {
	keys := make([]string, 0, len(params))
	hasFile := false
	for k, v := range params {
		keys = append(keys, k)
		if _, ok := fileList(v); ok {
			hasFile = true
		}
	}
	sort.Strings(keys)
	switch {
	case hasFile:
		return encodeMultipart(keys, params)
	case s != nil && s.HasBinary():
		form, err := formValues(keys, params)
		if err != nil {
			return nil, "", err
		}
		return []byte(form.Encode()), "application/x-www-form-urlencoded", nil
	default:
		for _, k := range keys {
			if isFileValue(params[k]) {
				return nil, "", fmt.Errorf("parameter %q: %w: a file is not allowed here", k, ErrInvalidArgument)
			}
		}
		b, err := json.Marshal(params)
		if err != nil {
			return nil, "", fmt.Errorf("encode JSON body: %w: %w", ErrInvalidArgument, err)
		}
		return b, "application/json", nil
	}
}

// formValues encodes the non-file parameters as Python requests does: numbers as decimal text, booleans as
// True/False, lists as repeated fields. Nested objects cannot be sent as form data.
func formValues(keys []string, params map[string]any) (url.Values, error) {
	form := url.Values{}
	for _, k := range keys {
		v := params[k]
		if _, ok := fileList(v); ok {
			continue
		}
		if list, ok := v.([]any); ok {
			for _, e := range list {
				s, err := formScalar(e)
				if err != nil {
					return nil, fmt.Errorf("parameter %q: %w", k, err)
				}
				form.Add(k, s)
			}
			continue
		}
		s, err := formScalar(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", k, err)
		}
		form.Add(k, s)
	}
	return form, nil
}

func formScalar(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		if t {
			return "True", nil
		}
		return "False", nil
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return strconv.FormatFloat(t, 'f', -1, 64), nil
		}
		return strconv.FormatFloat(t, 'g', -1, 64), nil
	case json.Number:
		return t.String(), nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	}
	return "", fmt.Errorf("%w: a %T value cannot be sent as form data", ErrInvalidArgument, v)
}

// encodeMultipart writes form fields first, then one part per file (a list repeats the name).
func encodeMultipart(keys []string, params map[string]any) ([]byte, string, error) {
	form, err := formValues(keys, params)
	if err != nil {
		return nil, "", err
	}
	// Size the buffer for the files up front: growing it by doubling allocates about twice the body
	// of a large upload.
	size := 4096
	for _, k := range keys {
		if files, ok := fileList(params[k]); ok {
			for _, f := range files {
				size += len(f.Data) + 512
			}
		}
	}
	var buf bytes.Buffer
	buf.Grow(size)
	w := multipart.NewWriter(&buf)
	if err := writeMultipart(w, keys, form, filesInKeyOrder(keys, params)); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// namedFile is a file and the parameter it is for, in the order its part is written.
type namedFile struct {
	param string
	file  *File
}

// filesInKeyOrder lists the files of params by parameter name, a list's files in list order.
func filesInKeyOrder(keys []string, params map[string]any) []namedFile {
	var out []namedFile
	for _, k := range keys {
		files, ok := fileList(params[k])
		if !ok {
			continue
		}
		for _, f := range files {
			out = append(out, namedFile{k, f})
		}
	}
	return out
}

// writeMultipart writes the form fields (in keys order), then one part per file, and closes w. A
// file's content is its Body when set (streamed, read once), else its Data.
func writeMultipart(w *multipart.Writer, keys []string, form url.Values, files []namedFile) error {
	for _, k := range keys {
		for _, v := range form[k] {
			// As multipart.Writer.WriteField, with control characters in the name escaped.
			h := make(textproto.MIMEHeader)
			h.Set("Content-Disposition", `form-data; name="`+quoteEscaper.Replace(k)+`"`)
			pw, err := w.CreatePart(h)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(pw, v); err != nil {
				return err
			}
		}
	}
	for _, nf := range files {
		k, f := nf.param, nf.file
		h := make(textproto.MIMEHeader)
		fn := f.Filename
		if fn == "" {
			fn = k
		}
		// Quoted like Python requests and mime/multipart: form-data; name="file"; filename="a.pdf".
		h.Set("Content-Disposition", `form-data; name="`+quoteEscaper.Replace(k)+`"; filename="`+quoteEscaper.Replace(fn)+`"`)
		ct, err := partContentType(k, f)
		if err != nil {
			return err
		}
		h.Set("Content-Type", ct)
		pw, err := w.CreatePart(h)
		if err != nil {
			return err
		}
		if f.Body != nil {
			if _, err := io.Copy(pw, f.Body); err != nil {
				return err
			}
		} else if _, err := pw.Write(f.Data); err != nil {
			return err
		}
	}
	return w.Close()
}

// partContentType is the Content-Type of a file's part: its own, or application/octet-stream.
func partContentType(param string, f *File) (string, error) {
	ct := f.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	if strings.ContainsFunc(ct, isControl) {
		fn := f.Filename
		if fn == "" {
			fn = param
		}
		return "", fmt.Errorf("%w: file %q of %s: content type %q has control characters", ErrInvalidArgument, fn, param, ct)
	}
	return ct, nil
}

// quoteEscaper escapes a quoted Content-Disposition parameter: backslash and quote with a
// backslash (as mime/multipart does), control characters, which no header may carry, as %XX (as
// browsers do for CR and LF).
var quoteEscaper = strings.NewReplacer(controlEscapes()...)

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func controlEscapes() []string {
	pairs := []string{"\\", "\\\\", `"`, "\\\"", "\x7f", "%7F"}
	for c := 0; c < 0x20; c++ {
		pairs = append(pairs, string(rune(c)), fmt.Sprintf("%%%02X", c))
	}
	return pairs
}

// decodeAction turns a 2xx action answer into an ActionResponse: JSON envelope or file. With raw, data is
// kept as JSON text in RawData (validated, space trimmed) instead of decoded into Data.
func decodeAction(resp *response, raw bool) (*ActionResponse, error) {
	r := &ActionResponse{Status: resp.status, Header: resp.header}
	r.RequestID, r.ErrorContract = responseIDs(resp.header)
	if !isJSON(resp.header.Get("Content-Type")) {
		r.File = newDownload(resp.header, resp.body)
		return r, nil
	}
	// One pass over the body: data straight into Go values (decoding it from a json.RawMessage
	// afterwards scanned the body twice more); meta stays raw, since a non-object meta must not fail
	// the call.
	if raw {
		data, meta, err := splitEnvelope(resp.body)
		if err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
		if len(data) > 0 {
			r.RawData = data
		}
		decodeMeta(r, meta)
		return r, nil
	}
	var env struct {
		Data any             `json:"data"`
		Meta json.RawMessage `json:"meta"`
	}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	r.Data = env.Data
	decodeMeta(r, env.Meta)
	return r, nil
}

// decodeMeta sets r.Meta from the raw "meta" of an answer.
func decodeMeta(r *ActionResponse, meta json.RawMessage) {
	if len(meta) > 0 && string(meta) != "null" {
		if err := json.Unmarshal(meta, &r.Meta); err != nil {
			// A non-object meta is kept out of Meta rather than failing the call.
			r.Meta = nil
		}
	}
}

// isJSON reports whether a Content-Type is JSON (application/json or any +json type).
func isJSON(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.Contains(strings.ToLower(ct), "application/json")
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

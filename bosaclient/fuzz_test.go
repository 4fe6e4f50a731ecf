package bosaclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets of the wire code: what the client builds (multipart bodies) and what it parses
// from BOSA (Content-Disposition, action answers, error bodies, Retry-After, discovery).

// printable reports a value that survives a quoted MIME parameter unchanged.
func printable(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}

// FuzzEncodeMultipart: the multipart body parses back into exactly the form field and the file
// part sent: file bytes byte-exact, names and filenames exact when they are printable ASCII.
func FuzzEncodeMultipart(f *testing.F) {
	f.Add("file", "report.pdf", "application/pdf", []byte("%PDF-1.7\r\n--boundary\r\n"), "folder_id", "1AbC")
	f.Add(`we"ird\name`, `a"b\c.txt`, "", []byte{}, "tags", "x\r\ny")
	f.Add("f", "../../etc/passwd", "text/plain; charset=utf-8", []byte("\x00\xff"), "desc", "")
	f.Add("f", "résumé.pdf", "application/pdf", []byte("x"), "n", "é")
	f.Fuzz(func(t *testing.T, name, filename, ctype string, data []byte, field, value string) {
		if name == "" || field == "" || name == field {
			return
		}
		keys := []string{field, name}
		body, ct, err := encodeMultipart(keys, map[string]any{name: NewFile(filename, ctype, data), field: value})
		if err != nil {
			if errors.Is(err, ErrInvalidArgument) && strings.ContainsFunc(ctype, isControl) {
				return // refused: no header may carry control characters
			}
			t.Fatalf("encode: %v", err)
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "multipart/form-data" {
			t.Fatalf("Content-Type %q: %v", ct, err)
		}
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var parts int
		var gotData []byte
		var gotValue string
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("part %d: %v", parts, err)
			}
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("part %d body: %v", parts, err)
			}
			switch parts {
			case 0:
				gotValue = string(b)
				if printable(field) && p.FormName() != field {
					t.Fatalf("field name %q, want %q", p.FormName(), field)
				}
			case 1:
				gotData = b
				if printable(name) && p.FormName() != name {
					t.Fatalf("file part name %q, want %q", p.FormName(), name)
				}
				if printable(filename) && !strings.ContainsAny(filename, `/\`) && p.FileName() != filename {
					t.Fatalf("filename %q, want %q", p.FileName(), filename)
				}
			}
			parts++
		}
		if parts != 2 || !bytes.Equal(gotData, data) {
			t.Fatalf("%d parts, file bytes equal %v", parts, bytes.Equal(gotData, data))
		}
		if gotValue != value {
			t.Fatalf("field value %q, want %q", gotValue, value)
		}
	})
}

// FuzzFilenameFromDisposition: parsing never panics, and a filename taken from BOSA's
// Content-Disposition is never a path: no separator, not "." or "..".
func FuzzFilenameFromDisposition(f *testing.F) {
	for _, s := range []string{
		`attachment; filename="report.pdf"`,
		`attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%202025.pdf; filename="resume.pdf"`,
		`attachment; filename="../../etc/passwd"`,
		`attachment; filename=".."`,
		`attachment; filename*=UTF-8''%2E%2E`,
		`attachment; filename*=iso-8859-1'en'%A3%20rates.txt`,
		`inline; filename=unquoted name.txt; size=12`,
		`attachment; filename="a\"b.txt"`,
		`attachment; filename*=UTF-8''%ZZ; filename=/`,
		`;;;=`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cd string) {
		name := filenameFromDisposition(cd)
		if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			t.Fatalf("filename %q from %q is a path", name, cd)
		}
	})
}

// FuzzDecodeAction: any 2xx answer decodes without panicking: a JSON Content-Type gives data and
// meta exactly as encoding/json reads them (or a decode error), any other gives a file with the
// exact bytes.
func FuzzDecodeAction(f *testing.F) {
	f.Add([]byte(`{"data": [{"id": 1}], "meta": {"has_next": true, "forwards_cursor": "c2"}}`), "application/json")
	f.Add([]byte(`{"data": {"full_name": "acme/web"}, "meta": null}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"data": [], "meta": [1, 2]}`), "application/problem+json")
	f.Add([]byte(`{"data": [{"id": "1", "name": "trunc`), "application/json")
	f.Add([]byte("%PDF-1.7"), "application/pdf")
	f.Add([]byte(`{"data": 1}`), "")
	f.Add([]byte(`{"data": 1}`), "text/plain; application/json")
	f.Add([]byte(`{"DATA": [1], "Meta": {"page": 1}, "data": [2, {"a": "\u00e9"}], "x": [true, null, -1.5e3]}`), "application/json")
	f.Add([]byte(`{"\u0064ata": {"k": "v"}}`), "application/json")
	f.Add([]byte(`null`), "application/json")
	f.Add([]byte(`[1]`), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		h := http.Header{}
		if ctype != "" {
			h.Set("Content-Type", ctype)
		}
		r, err := decodeAction(&response{status: 200, header: h, body: body}, false)
		if !isJSON(ctype) {
			if err != nil || r.File == nil || !bytes.Equal(r.File.Data, body) {
				t.Fatalf("file answer: %v", err)
			}
			return
		}
		if _, rawErr := decodeAction(&response{status: 200, header: h, body: body}, true); rawErr != nil && err == nil {
			t.Fatalf("raw decode refused %q, which the plain one accepts: %v", body, rawErr)
		} else if rawErr == nil && err != nil && json.Unmarshal(body, new(struct{ Data, Meta json.RawMessage })) != nil {
			t.Fatalf("raw decode accepted %q, which encoding/json refuses as an envelope", body)
		}
		if err != nil {
			if json.Valid(body) {
				var env struct {
					Data json.RawMessage `json:"data"`
				}
				if json.Unmarshal(body, &env) == nil {
					t.Fatalf("valid envelope %s refused: %v", body, err)
				}
			}
			return
		}
		if r.File != nil {
			t.Fatal("a JSON answer became a file")
		}
		var env struct {
			Data any `json:"data"`
		}
		if json.Unmarshal(body, &env) != nil || !reflect.DeepEqual(env.Data, r.Data) {
			t.Fatalf("data %v, want what encoding/json reads from %s", r.Data, body)
		}
		// WithRawData: the same meta and list-ness, and data as JSON text that decodes to the same.
		raw, err := decodeAction(&response{status: 200, header: h, body: body}, true)
		if err != nil {
			t.Fatalf("raw decode refused what the plain one accepts: %v", err)
		}
		if raw.Data != nil || !reflect.DeepEqual(raw.Meta, r.Meta) || raw.IsList() != r.IsList() {
			t.Fatalf("raw decode: data %v meta %v list %v; want meta %v list %v", raw.Data, raw.Meta, raw.IsList(), r.Meta, r.IsList())
		}
		var fromRaw any
		if raw.RawData != nil {
			if err := json.Unmarshal(raw.RawData, &fromRaw); err != nil {
				t.Fatalf("RawData %q: %v", raw.RawData, err)
			}
		}
		if !reflect.DeepEqual(fromRaw, r.Data) {
			t.Fatalf("RawData %q decodes to %v, want %v", raw.RawData, fromRaw, r.Data)
		}
	})
}

// FuzzAPIError: any error answer yields an APIError with a non-empty message, a bounded body and a
// Retry-After that is never negative.
func FuzzAPIError(f *testing.F) {
	f.Add(429, []byte(`{"error": {"code": "RATE_LIMITED", "message": "slow down"}}`), "3")
	f.Add(422, []byte(`{"detail": [{"loc": ["body", "x"], "msg": "field required"}]}`), "")
	f.Add(500, []byte(`<html>oops</html>`), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(400, []byte(`{"error": "bad", "code": 7, "message": {"nested": true}}`), "-5")
	f.Add(503, []byte(`{"data": {"error": "x", "message": 1}}`), "1e400")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		e := newAPIError(&request{method: "POST", path: "/connectors/c/a"}, &response{status: status, header: h, body: body})
		if e.RetryAfter < 0 || len(e.Body) > maxErrorBody || (e.Message == "" && http.StatusText(status) != "") {
			t.Fatalf("APIError %+v", e)
		}
		_ = e.Error()
		if d := parseRetryAfter(retryAfter, time.Now()); d < 0 {
			t.Fatalf("Retry-After %q parsed as %v", retryAfter, d)
		}
	})
}

// FuzzParseListing: any discovery body parses or fails without panicking; every action parsed has
// an absolute path and a schema.
func FuzzParseListing(f *testing.F) {
	f.Add([]byte(`{"github": {"list_commits": {"method": "POST", "path": "/connectors/github/list_commits", "docstring": "List.\n\nArgs:", "parameters": {"request": {"schema": {"type": "object", "properties": {"owner": {"type": "string"}}, "required": ["owner"]}}}}, "integrations": {"method": "GET"}}}`))
	f.Add([]byte(`{"c": {"a": {"method": "post", "path": "rel", "parameters": {"request": {"schema": {"$ref": "#/$defs/X", "$defs": {"X": {"$ref": "#/$defs/X"}}}}}}}}`))
	f.Add([]byte(`{"c": {"a": 1, "b": {"method": "POST", "parameters": {"request": {"schema": null}}}}}`))
	f.Add([]byte(`[]`))
	c, err := New("http://bosa.invalid", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		conns, err := c.parseListing(body)
		if err != nil {
			return
		}
		for _, cn := range conns {
			for _, a := range cn.Actions {
				if a.Schema == nil || !strings.HasPrefix(a.Path, "/") {
					t.Fatalf("action %s/%s: path %q, schema %v", cn.Name, a.Name, a.Path, a.Schema)
				}
			}
		}
	})
}

package sandbox_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"bosa.dev/gateway/sandbox"
)

// multipartBody builds a §6.2 multipart body: fields first, then one part per file.
// It is safe to call from any goroutine.
func multipartBody(fields url.Values, files ...filePart) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.name+`"`)
		if f.contentType != "" {
			h.Set("Content-Type", f.contentType)
		}
		w, _ := mw.CreatePart(h) // writing to a bytes.Buffer cannot fail
		_, _ = w.Write(f.data)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

type filePart struct {
	field, name, contentType string
	data                     []byte
}

// download fetches a file and returns the response with its body.
func download(t *testing.T, u *caller, id string, extra map[string]any) *resp {
	t.Helper()
	body := map[string]any{"file_id": id}
	for k, v := range extra {
		body[k] = v
	}
	return u.post("/connectors/google_drive/download_file", body)
}

func TestUploadDownloadByteExact(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "alice")
	big := make([]byte, 20<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, filename, contentType string
		data                        []byte
	}{
		{"20 MB random binary", "blob.bin", "application/octet-stream", big},
		{"empty", "empty.dat", "application/octet-stream", nil},
		{"CRLF and NUL bytes", "crlf.txt", "text/plain; charset=utf-8", []byte("a\r\nb\x00c\r\n--\r\n\xff\xfe")},
		{"non-ASCII name", "Bericht – Größe.pdf", "application/pdf", []byte("%PDF-1.7 fake")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(url.Values{"folder_id": {"fld-reports"}, "description": {"test upload"}},
				filePart{"file", tt.filename, tt.contentType, tt.data})
			d := u.post("/connectors/google_drive/upload_file", body, "Content-Type", ct).data(t)
			id, _ := d["id"].(string)
			if id == "" || d["name"] != tt.filename || d["mimeType"] != tt.contentType || num(t, d["size"]) != len(tt.data) ||
				d["parents"].([]any)[0] != "fld-reports" || d["description"] != "test upload" {
				t.Fatalf("upload answer %v", d)
			}
			// response_fields never apply to files.
			r := download(t, u, id, map[string]any{"response_fields": []any{"id"}})
			if r.status != http.StatusOK || !bytes.Equal(r.body, tt.data) {
				t.Fatalf("download: status %d, %d bytes, want %d identical bytes", r.status, len(r.body), len(tt.data))
			}
			if r.header.Get("Content-Type") != tt.contentType || r.header.Get("Content-Length") != strconv.Itoa(len(tt.data)) {
				t.Fatalf("headers %v", r.header)
			}
			_, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
			if err != nil || params["filename"] != tt.filename {
				t.Fatalf("Content-Disposition %q: %v %v", r.header.Get("Content-Disposition"), params, err)
			}
		})
	}
	t.Run("uploads are per user", func(t *testing.T) {
		body, ct := multipartBody(url.Values{"folder_id": {"fld-reports"}}, filePart{"file", "mine.txt", "text/plain", []byte("mine")})
		u.post("/connectors/google_drive/upload_file", body, "Content-Type", ct).data(t)
		_, other := newUser(newCaller(t, srv), "bob")
		connect(other, "google_drive", "bob@example.com")
		items, _ := u.post("/connectors/google_drive/list_files", map[string]any{"folder_id": "fld-reports", "page_size": 100}).list(t)
		last := items[len(items)-1].(map[string]any)
		if !strings.HasPrefix(last["id"].(string), "u-") {
			t.Fatalf("uploads not listed last: %v", last)
		}
		download(t, other, last["id"].(string), nil).wantError(t, 404, "NOT_FOUND")
		uploads := 0
		for _, it := range items {
			if strings.HasPrefix(it.(map[string]any)["id"].(string), "u-") {
				uploads++
			}
		}
		otherItems, _ := other.post("/connectors/google_drive/list_files", map[string]any{"folder_id": "fld-reports", "page_size": 100}).list(t)
		if len(otherItems) != len(items)-uploads {
			t.Fatalf("other user sees %d files, owner %d of which %d uploaded", len(otherItems), len(items), uploads)
		}
	})
}

func TestSeededDownloads(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "carol")
	tests := []struct {
		id, contentType, disposition string
		size                         int
	}{
		{"f-empty", "text/plain", `attachment; filename="empty.txt"`, 0},
		{"f-hello", "text/plain; charset=utf-8", `attachment; filename="hello.txt"`, 29},
		{"f-1k", "application/octet-stream", `attachment; filename="sample-1KiB.bin"`, 1 << 10},
		{"f-1m", "application/octet-stream", `attachment; filename="sample-1MiB.bin"`, 1 << 20},
		{"f-20m", "application/octet-stream", `attachment; filename="sample-20MiB.bin"`, 20 << 20},
		{"f-utf8", "application/pdf", `attachment; filename="r_sum_ 2025 _ final.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202025%20%E2%80%93%20final.pdf`, 4096},
		{"f-0007", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", `attachment; filename="contract-0007.xlsx"`, 100 + (7*7919)%200000},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r := download(t, u, tt.id, nil)
			want, ok := sandbox.DemoFileContent(tt.id)
			if !ok || len(want) != tt.size {
				t.Fatalf("DemoFileContent: %d bytes, ok %v", len(want), ok)
			}
			if r.status != 200 || !bytes.Equal(r.body, want) {
				t.Fatalf("status %d, %d bytes", r.status, len(r.body))
			}
			if r.header.Get("Content-Type") != tt.contentType || r.header.Get("Content-Disposition") != tt.disposition {
				t.Fatalf("Content-Type %q, Content-Disposition %q", r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
			}
		})
	}
	// Generated content uses every byte value.
	b, _ := sandbox.DemoFileContent("f-1m")
	seen := map[byte]bool{}
	for _, c := range b {
		seen[c] = true
	}
	if len(seen) != 256 {
		t.Fatalf("%d distinct byte values", len(seen))
	}
	if string(mustContent(t, "f-hello")) != "Hello from the BOSA sandbox!\n" {
		t.Fatal("hello content")
	}
	download(t, u, "f-nope", nil).wantError(t, 404, "NOT_FOUND")
	u.post("/connectors/google_drive/download_file", map[string]any{}).wantError(t, 400, "VALIDATION_ERROR")
}

func mustContent(t *testing.T, id string) []byte {
	b, ok := sandbox.DemoFileContent(id)
	if !ok {
		t.Fatalf("no %s", id)
	}
	return b
}

// TestDownloadStreams checks that a large download starts before it is complete and that the
// client can abandon it midway.
func TestDownloadStreams(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "dave")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/connectors/google_drive/download_file", strings.NewReader(`{"file_id": "f-20m"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", u.key)
	req.Header.Set("Authorization", "Bearer "+u.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, res.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	want := sha256.Sum256(mustContent(t, "f-20m")[:1<<20])
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("first MiB differs")
	}
}

func TestUploadErrors(t *testing.T) {
	srv := start(t, sandbox.WithMaxUploadSize(1024))
	u := connected(t, srv, "erin")
	tooBig, ct := multipartBody(nil, filePart{"file", "big.bin", "application/octet-stream", make([]byte, 2048)})
	msg := u.post("/connectors/google_drive/upload_file", tooBig, "Content-Type", ct).wantError(t, 400, "VALIDATION_ERROR")
	if !strings.Contains(msg, "1024") {
		t.Fatalf("limit message %q", msg)
	}
	fitting, ct := multipartBody(url.Values{"name": {"renamed.bin"}}, filePart{"file", "ok.bin", "", make([]byte, 1024)})
	d := u.post("/connectors/google_drive/upload_file", fitting, "Content-Type", ct).data(t)
	if d["name"] != "renamed.bin" || d["mimeType"] != "application/octet-stream" || d["parents"].([]any)[0] != "root" {
		t.Fatalf("upload %v", d)
	}
	cases := []struct {
		name, ct string
		body     any
		want     string
	}{
		{"urlencoded without file", "application/x-www-form-urlencoded", "folder_id=root&name=x", "file"},
		{"JSON without file", "", map[string]any{"folder_id": "root"}, "file"},
		{"JSON with a string for the file", "", map[string]any{"file": "aGVsbG8="}, "multipart/form-data part named \"file\""},
		{"multipart without file", "multipart", nil, "file"},
		{"broken multipart", "multipart/form-data; boundary=zzz", "--zzz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc", "multipart"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var r *resp
			switch {
			case tt.ct == "multipart":
				b, ct := multipartBody(url.Values{"folder_id": {"root"}})
				r = u.post("/connectors/google_drive/upload_file", b, "Content-Type", ct)
			case tt.ct != "":
				r = u.post("/connectors/google_drive/upload_file", tt.body.(string), "Content-Type", tt.ct)
			default:
				r = u.post("/connectors/google_drive/upload_file", tt.body)
			}
			if msg := r.wantError(t, 400, "VALIDATION_ERROR"); !strings.Contains(msg, tt.want) {
				t.Fatalf("message %q lacks %q", msg, tt.want)
			}
		})
	}
}

func TestListFiles(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "frank")
	ids := walkCursor(t, u, "/connectors/google_drive/list_files", map[string]any{}, "page_size", 50, 306)
	if ids[0] != "f-empty" || ids[305] != "f-0300" {
		t.Fatalf("order %s … %s", ids[0], ids[305])
	}
	// Default page size, folder and name filters.
	items, meta := u.post("/connectors/google_drive/list_files", map[string]any{}).list(t)
	if len(items) != 25 || num(t, meta["total"]) != 306 {
		t.Fatalf("default page: %d items, %v", len(items), meta)
	}
	items, meta = u.post("/connectors/google_drive/list_files", map[string]any{"folder_id": "fld-samples"}).list(t)
	if len(items) != 6 || meta["has_next"] != false {
		t.Fatalf("samples: %d, %v", len(items), meta)
	}
	items, _ = u.post("/connectors/google_drive/list_files", map[string]any{"name_contains": "RÉSUMÉ"}).list(t)
	if len(items) != 1 || items[0].(map[string]any)["id"] != "f-utf8" {
		t.Fatalf("name filter: %v", items)
	}
	items, _ = u.post("/connectors/google_drive/list_files", map[string]any{"page_size": 100,
		"response_filters": []any{map[string]any{"type": "string", "field_name": "mimeType", "value": "image/png"}},
		"response_fields":  []any{"id", "name"}}).list(t)
	for _, it := range items {
		m := it.(map[string]any)
		if len(m) != 2 || !strings.HasSuffix(m["name"].(string), ".png") {
			t.Fatalf("shaped file %v", m)
		}
	}
	if len(items) != 19 { // f-0005, f-0010, … among the first 100 entries (6 samples + f-0001…f-0094)
		t.Fatalf("%d png files on the first page", len(items))
	}
}

// TestUploadFormFields sends form fields as the reference client does (§6.2): Python booleans
// True/False and repeated fields for lists.
func TestUploadFormFields(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "grace")
	upload := func(overwrite string, content string) map[string]any {
		t.Helper()
		body, ct := multipartBody(url.Values{"folder_id": {"fld-q3"}, "overwrite": {overwrite}, "tags": {"finance", "q3"}},
			filePart{"file", "q3-report.pdf", "application/pdf", []byte(content)})
		return u.post("/connectors/google_drive/upload_file", body, "Content-Type", ct).data(t)
	}
	first := upload("False", "v1")
	if tags := first["tags"].([]any); len(tags) != 2 || tags[0] != "finance" || tags[1] != "q3" {
		t.Fatalf("tags %v", first["tags"])
	}
	upload("false", "v2")
	count := func() int {
		items, _ := u.post("/connectors/google_drive/list_files", map[string]any{"folder_id": "fld-q3"}).list(t)
		return len(items)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d files after two uploads without overwrite", n)
	}
	last := upload("True", "v3")
	if n := count(); n != 1 {
		t.Fatalf("%d files after overwrite", n)
	}
	download(t, u, first["id"].(string), nil).wantError(t, 404, "NOT_FOUND")
	if r := download(t, u, last["id"].(string), nil); string(r.body) != "v3" {
		t.Fatalf("content %q", r.body)
	}
	body, ct := multipartBody(url.Values{"overwrite": {"perhaps"}}, filePart{"file", "x", "", []byte("x")})
	if msg := u.post("/connectors/google_drive/upload_file", body, "Content-Type", ct).wantError(t, 400, "VALIDATION_ERROR"); !strings.Contains(msg, "overwrite") {
		t.Fatalf("message %q", msg)
	}
}

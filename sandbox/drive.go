package sandbox

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"bosa.dev/gateway/schema"
)

// Seeded Google Drive files: 6 sample files in folder fld-samples (ids below) and 300
// generated files f-0001 … f-0300 spread over root, fld-reports, fld-designs and fld-archive,
// 306 in all. Every user sees them, followed by the files that user uploaded. File contents are
// generated on the fly (DemoFileContent returns them), so large samples cost no memory.
//
//	f-empty  empty.txt                  text/plain                 0 bytes
//	f-hello  hello.txt                  text/plain; charset=utf-8  29 bytes
//	f-1k     sample-1KiB.bin            application/octet-stream   1024 bytes
//	f-1m     sample-1MiB.bin            application/octet-stream   1 MiB
//	f-20m    sample-20MiB.bin           application/octet-stream   20 MiB
//	f-utf8   résumé 2025 – final.pdf    application/pdf            4096 bytes
type seededFile struct {
	id, name, mime, folder string
	size                   int64
	fixed                  []byte // content, when not generated
	created                time.Time
}

var helloContent = []byte("Hello from the BOSA sandbox!\n")

var seededFiles, seededByID = seedFiles()

func seedFiles() ([]*seededFile, map[string]*seededFile) {
	t0 := seedEpoch
	files := []*seededFile{
		{id: "f-empty", name: "empty.txt", mime: "text/plain", size: 0},
		{id: "f-hello", name: "hello.txt", mime: "text/plain; charset=utf-8", size: int64(len(helloContent)), fixed: helloContent},
		{id: "f-1k", name: "sample-1KiB.bin", mime: "application/octet-stream", size: 1 << 10},
		{id: "f-1m", name: "sample-1MiB.bin", mime: "application/octet-stream", size: 1 << 20},
		{id: "f-20m", name: "sample-20MiB.bin", mime: "application/octet-stream", size: 20 << 20},
		{id: "f-utf8", name: "résumé 2025 – final.pdf", mime: "application/pdf", size: 4096},
	}
	for _, f := range files {
		f.folder = "fld-samples"
	}
	kinds := []struct{ ext, mime string }{
		{"pdf", "application/pdf"},
		{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"png", "image/png"},
		{"txt", "text/plain"},
	}
	folders := []string{"root", "fld-reports", "fld-designs", "fld-archive"}
	stems := []string{"report", "roadmap", "budget", "mockup", "notes", "minutes", "invoice", "contract"}
	for i := 1; i <= 300; i++ {
		k := kinds[i%len(kinds)]
		files = append(files, &seededFile{
			id:     fmt.Sprintf("f-%04d", i),
			name:   fmt.Sprintf("%s-%04d.%s", stems[i%len(stems)], i, k.ext),
			mime:   k.mime,
			folder: folders[i%len(folders)],
			size:   int64(100 + (i*7919)%200000),
		})
	}
	byID := map[string]*seededFile{}
	for i, f := range files {
		f.created = t0.Add(time.Duration(i) * time.Hour)
		byID[f.id] = f
	}
	return files, byID
}

// DemoFileContent returns the exact bytes google_drive/download_file serves for a seeded file
// id (e.g. "f-20m"), for tests that compare downloads.
func DemoFileContent(id string) ([]byte, bool) {
	f := seededByID[id]
	if f == nil {
		return nil, false
	}
	b := make([]byte, f.size)
	_, _ = io.ReadFull(f.open(), b)
	return b, true
}

func (f *seededFile) open() io.Reader {
	if f.fixed != nil {
		return bytes.NewReader(f.fixed)
	}
	return newGenReader(f.id, f.size)
}

// genReader produces a file's deterministic pseudo-random bytes: the ChaCha8 stream (C2SP
// chacha8rand, stable across Go releases) seeded with SHA-256 of the file id. All 256 byte
// values occur.
type genReader struct {
	src  *rand.ChaCha8
	left int64
}

func newGenReader(id string, size int64) *genReader {
	return &genReader{src: rand.NewChaCha8(sha256.Sum256([]byte("bosa-sandbox:file:" + id))), left: size}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.left))
	_, _ = g.src.Read(p[:n])
	g.left -= int64(n)
	return n, nil
}

// storedFile is a file a user uploaded.
type storedFile struct {
	id, name, mime, folder string
	description            string
	tags                   []string
	data                   []byte
	md5                    string
	created                time.Time
}

func seededView(f *seededFile) map[string]any {
	return map[string]any{
		"id": f.id, "name": f.name, "mimeType": f.mime, "size": f.size, "parents": []any{f.folder},
		"createdTime": iso(f.created), "modifiedTime": iso(f.created),
	}
}

func storedView(f *storedFile) map[string]any {
	return map[string]any{
		"id": f.id, "name": f.name, "mimeType": f.mime, "size": int64(len(f.data)), "parents": []any{f.folder},
		"createdTime": iso(f.created), "modifiedTime": iso(f.created), "md5Checksum": f.md5,
		"description": f.description, "tags": append([]string{}, f.tags...),
	}
}

func driveConnector() *connector {
	c := &connector{
		name: "google_drive", oauthScopes: []string{"https://www.googleapis.com/auth/drive"}, tokenPrefix: "ya29.",
		defaultLogin: func(id string) string {
			if strings.Contains(id, "@") {
				return id
			}
			return id + "@example.com"
		},
	}
	c.add(&action{
		name: "list_files", user: true, integration: true,
		doc: "List files visible to the user: the seeded files, then the user's uploads.\n\nArgs:\n    request: optional folder_id, name_contains and cursor paging (cursor, page_size).",
		schema: actionSchema("ListFilesRequest", cursorBased, "page_size", map[string]*schema.Schema{
			"folder_id":     withDesc(optional(sString()), "Only files in this folder (root, fld-samples, fld-reports, fld-designs, fld-archive)."),
			"name_contains": withDesc(optional(sString()), "Only files whose name contains this text (case-insensitive)."),
		}),
		run: func(cl *call) (*result, error) {
			folder := paramString(cl.params, "folder_id")
			needle := strings.ToLower(paramString(cl.params, "name_contains"))
			keep := func(name, parent string) bool {
				return (folder == "" || parent == folder) && (needle == "" || strings.Contains(strings.ToLower(name), needle))
			}
			var items []map[string]any
			for _, f := range seededFiles {
				if keep(f.name, f.folder) {
					items = append(items, seededView(f))
				}
			}
			cl.s.mu.RLock()
			for _, id := range cl.user.fileOrder {
				if f := cl.user.files[id]; keep(f.name, f.folder) {
					items = append(items, storedView(f))
				}
			}
			cl.s.mu.RUnlock()
			off, per, aerr := cursorWindow(cl.params, "page_size", 25)
			if aerr != nil {
				return nil, aerr
			}
			return &result{data: slice(items, off, per), meta: cursorMeta(off, per, len(items))}, nil
		},
	})
	c.add(&action{
		name: "upload_file", user: true, integration: true,
		doc: "Upload a file to the user's drive.\n\nArgs:\n    request: file (multipart part), optional folder_id, name, description, tags and overwrite.",
		schema: actionSchema("UploadFileRequest", noPaging, "", map[string]*schema.Schema{
			"file":        withDesc(sBinary(), "The file content, sent as a multipart/form-data part named file."),
			"folder_id":   withDesc(optional(sString()), "Target folder (default root)."),
			"name":        withDesc(optional(sString()), "File name (default: the part's filename)."),
			"description": withDesc(optional(sString()), "Free text stored with the file."),
			"tags":        withDesc(optional(sArray(sString())), "Labels stored with the file (a repeated form field)."),
			"overwrite":   withDesc(optional(sBool()), "Replace the user's uploads with the same name in the same folder (default false)."),
		}),
		run: func(cl *call) (*result, error) {
			up, ok := cl.params["file"].(*upload)
			if !ok {
				return nil, errValidation(`Invalid parameters: file: send the file as a multipart/form-data part named "file"`)
			}
			name := paramString(cl.params, "name")
			if name == "" {
				name = up.Filename
			}
			if name == "" {
				name = "untitled"
			}
			folder := paramString(cl.params, "folder_id")
			if folder == "" {
				folder = "root"
			}
			sum := md5.Sum(up.Data)
			f := &storedFile{
				id: "u-" + strings.ToLower(randomToken(16)), name: name, mime: up.ContentType, folder: folder,
				description: paramString(cl.params, "description"), data: up.Data,
				md5: hex.EncodeToString(sum[:]), created: cl.now,
			}
			if tags, ok := cl.params["tags"].([]any); ok {
				for _, t := range tags {
					if s, ok := t.(string); ok {
						f.tags = append(f.tags, s)
					}
				}
			}
			overwrite, _ := cl.params["overwrite"].(bool)
			cl.s.mu.Lock()
			if overwrite {
				kept := cl.user.fileOrder[:0:0]
				for _, id := range cl.user.fileOrder {
					if old := cl.user.files[id]; old.name == f.name && old.folder == f.folder {
						delete(cl.user.files, id)
						continue
					}
					kept = append(kept, id)
				}
				cl.user.fileOrder = kept
			}
			cl.user.files[f.id] = f
			cl.user.fileOrder = append(cl.user.fileOrder, f.id)
			cl.s.mu.Unlock()
			return &result{data: storedView(f)}, nil
		},
	})
	c.add(&action{
		name: "download_file", user: true, integration: true,
		doc:    "Download a file's content as raw bytes.\n\nArgs:\n    request: file_id.",
		schema: actionSchema("DownloadFileRequest", noPaging, "", map[string]*schema.Schema{"file_id": withDesc(sString(), "Id of a seeded or uploaded file.")}),
		run: func(cl *call) (*result, error) {
			id := paramString(cl.params, "file_id")
			cl.s.mu.RLock()
			sf := cl.user.files[id]
			cl.s.mu.RUnlock()
			if sf != nil {
				// Uploaded data is never mutated after storing, so it can be streamed unlocked.
				return &result{file: &fileResult{name: sf.name, contentType: sf.mime, size: int64(len(sf.data)), body: bytes.NewReader(sf.data)}}, nil
			}
			if f := seededByID[id]; f != nil {
				return &result{file: &fileResult{name: f.name, contentType: f.mime, size: f.size, body: f.open()}}, nil
			}
			return nil, errNotFound("File " + id + " not found")
		},
	})
	return c
}

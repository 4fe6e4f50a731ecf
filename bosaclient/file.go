package bosaclient

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// File is a binary value: an upload when passed as a parameter value (File, *File, []File or []*File), and a
// download when an action answers with a non-JSON body (ActionResponse.File).
type File struct {
	// Filename is the part's filename on upload; on download it comes from Content-Disposition, preferring
	// the RFC 5987 filename* parameter.
	Filename string
	// ContentType is the part's Content-Type on upload (default application/octet-stream); on download the
	// full response Content-Type, charset included, or application/octet-stream when the server sent none.
	ContentType string
	// Data holds the bytes.
	Data []byte
	// Body, when set on an upload, is read for the content instead of Data, so that the file is
	// streamed to the server without being held in memory. A call with such a file is sent once:
	// a body cannot be replayed, so it is never retried whatever the retry policy (see Upload).
	// Ignored on download; Client.Download streams a downloaded file.
	Body io.Reader
	// Header holds every response header of a download; it is ignored on upload.
	Header http.Header
}

// NewFile returns an upload value.
func NewFile(filename, contentType string, data []byte) File {
	return File{Filename: filename, ContentType: contentType, Data: data}
}

// ReadFile reads a local file into an upload value, guessing the content type from the extension.
func ReadFile(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	ct := mime.TypeByExtension(filepath.Ext(path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return File{Filename: filepath.Base(path), ContentType: ct, Data: b}, nil
}

// Save writes the bytes to path.
func (f *File) Save(path string) error { return os.WriteFile(path, f.Data, 0o644) }

// newDownload builds a File from a non-JSON answer.
func newDownload(h http.Header, body []byte) *File {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &File{
		Filename:    filenameFromDisposition(h.Get("Content-Disposition")),
		ContentType: ct,
		Data:        body,
		Header:      h.Clone(),
	}
}

// filenameFromDisposition returns the filename of a Content-Disposition header, preferring filename*
// (RFC 5987/6266). It tolerates headers mime.ParseMediaType rejects.
func filenameFromDisposition(cd string) string {
	if cd == "" {
		return ""
	}
	// mime.ParseMediaType decodes filename* (UTF-8 and ISO-8859-1) into "filename" already.
	if _, params, err := mime.ParseMediaType(cd); err == nil {
		if fn := params["filename"]; fn != "" {
			return baseName(fn)
		}
	}
	// Fallback: a tolerant scan, filename* first.
	var plain, star string
	for _, part := range strings.Split(cd, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		switch k {
		case "filename*":
			if _, rest, ok := strings.Cut(v, "''"); ok {
				v = rest
			}
			if dec, err := url.PathUnescape(strings.Trim(v, `"`)); err == nil {
				star = dec
			}
		case "filename":
			plain = strings.Trim(v, `"`)
		}
	}
	name := star
	if name == "" {
		name = plain
	}
	return baseName(name)
}

// baseName keeps the last element of a name a server sent, so that it is never a path: directories
// (with / or \ separators) are dropped, and "." and ".." are no name at all.
func baseName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	if name == "." || name == ".." {
		return ""
	}
	return name
}

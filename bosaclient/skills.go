package bosaclient

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Tenant skills (docs/protocol.md §17.6): a tenant's own skills, read with a user token
// alone (the tenant comes from the token), and downloaded from a presigned URL with no credentials.

// Errors of DownloadSkill.
var (
	// ErrChecksumMismatch: the artifact does not hash to the skill's content_sha256.
	ErrChecksumMismatch = errors.New("skill checksum mismatch")
	// ErrUnsafeArchive: the artifact is not a valid zip, expands beyond MaxSkillExpandedBytes, or has an
	// absolute or ".." member.
	ErrUnsafeArchive = errors.New("unsafe skill archive")
	// ErrSkillNotDownloadable: the skill has no download URL (a github skill whose snapshot a tenant admin
	// must refresh first) or a source type whose artifact shape is unknown.
	ErrSkillNotDownloadable = errors.New("skill cannot be downloaded")
)

// MaxSkillExpandedBytes bounds what a skill archive may expand to (the sum of its members' sizes).
const MaxSkillExpandedBytes = 256 << 20

// DefaultSkillDownloadTimeout bounds one attempt of DownloadSkill.
const DefaultSkillDownloadTimeout = 60 * time.Second

// SkillSummary is a tenant skill as listed. Fields the server sends as null are "".
type SkillSummary struct {
	ID          string `json:"id"`
	ClientID    string `json:"client_id"`
	SourceType  string `json:"source_type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	GitHubURL   string `json:"github_url"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// SkillDetail is one tenant skill with its artifact's download URL and checksum.
type SkillDetail struct {
	SkillSummary
	Frontmatter map[string]any `json:"frontmatter"`
	// DownloadURL is a presigned URL fetched without credentials; "" for a github skill whose snapshot
	// does not exist yet.
	DownloadURL string `json:"download_url"`
	// ContentSHA256 is the artifact's checksum (see SkillChecksum); "" skips verification.
	ContentSHA256 string `json:"content_sha256"`
	GitHubOwner   string `json:"github_owner"`
	GitHubRepo    string `json:"github_repo"`
	GitHubRef     string `json:"github_ref"`
	GitHubPath    string `json:"github_path"`
}

// SkillListMeta pages TenantSkills; the server promises none of its fields (nil when absent).
type SkillListMeta struct {
	Total  *int `json:"total"`
	Limit  *int `json:"limit"`
	Offset *int `json:"offset"`
}

// SkillList is one page of a tenant's skills.
type SkillList struct {
	Items []SkillSummary `json:"items"`
	Meta  *SkillListMeta `json:"meta"`
}

// TenantSkills lists the skills of the token's tenant (GET /api/skills). Only the token (WithToken) is
// sent: an X-API-Key would select the service's master-key path. limit 0 means 50.
func (c *Client) TenantSkills(ctx context.Context, limit, offset int, opts ...CallOption) (*SkillList, error) {
	if limit == 0 {
		limit = 50
	}
	v := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}}
	var out SkillList
	return &out, c.getUnwrapped(ctx, &request{path: "/api/skills?" + v.Encode(), tokenOnly: true}, opts, &out)
}

// TenantSkill returns one skill of the token's tenant (GET /api/skills/{id}; id is a UUID).
func (c *Client) TenantSkill(ctx context.Context, id string, opts ...CallOption) (*SkillDetail, error) {
	req := &request{method: "GET", path: "/api/skills/" + url.PathEscape(id), tokenOnly: true, timeout: c.managementTimeout}
	var out SkillDetail
	if err := c.doEnvelope(ctx, req, newCallConfig(opts), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SkillFile is one file of a skill artifact.
type SkillFile struct {
	// Name is the member's path inside the artifact ("SKILL.md" for a single-file skill).
	Name string
	Data []byte
}

// SkillArtifact is a downloaded, verified skill artifact.
type SkillArtifact struct {
	// Data is the artifact as served: a zip, or the SKILL.md text.
	Data []byte
	// Zip reports whether Data is a zip.
	Zip bool
	// Files are the artifact's files (a zip's non-directory members in name order, or SKILL.md).
	Files []SkillFile
}

// skillIsZip says whether a source type's artifact is a zip (upload_zip, github) or a single SKILL.md
// (upload_md, manual).
func skillIsZip(sourceType string) (bool, error) {
	switch sourceType {
	case "upload_zip", "github":
		return true, nil
	case "upload_md", "manual":
		return false, nil
	}
	return false, fmt.Errorf("%w: unknown source_type %q", ErrSkillNotDownloadable, sourceType)
}

// DownloadSkill fetches a skill's artifact from its presigned URL (no credentials or client headers are
// sent; redirects are followed; at most WithMaxResponseBytes) and verifies it before returning it: a zip
// must be valid, expand to at most MaxSkillExpandedBytes and have no absolute or ".." member, and the
// artifact must match content_sha256 when the skill has one.
func (c *Client) DownloadSkill(ctx context.Context, skill *SkillDetail, opts ...CallOption) (*SkillArtifact, error) {
	isZip, err := skillIsZip(skill.SourceType)
	if err != nil {
		return nil, fmt.Errorf("bosaclient: skill %s: %w", skill.ID, err)
	}
	if skill.DownloadURL == "" {
		return nil, fmt.Errorf("bosaclient: skill %s: %w: no download_url (a github skill's snapshot must be refreshed by a tenant admin first)",
			skill.ID, ErrSkillNotDownloadable)
	}
	u, err := url.Parse(skill.DownloadURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("bosaclient: skill %s: %w: download_url is not an http(s) URL", skill.ID, ErrSkillNotDownloadable)
	}
	req := &request{method: "GET", path: "/skill-artifact/" + skill.ID, url: skill.DownloadURL, bare: true,
		timeout: DefaultSkillDownloadTimeout}
	cc := newCallConfig(opts)
	resp, err := c.send(ctx, req, cc, cc.maxAttempts > 1)
	if err != nil {
		return nil, err
	}
	a := &SkillArtifact{Data: resp.body, Zip: isZip}
	if isZip {
		if a.Files, err = unzipSkill(resp.body); err != nil {
			return nil, fmt.Errorf("bosaclient: skill %s: %w", skill.ID, err)
		}
	} else {
		a.Files = []SkillFile{{Name: "SKILL.md", Data: resp.body}}
	}
	if want := strings.ToLower(strings.TrimSpace(skill.ContentSHA256)); want != "" {
		if got := skillChecksum(a); got != want {
			return nil, fmt.Errorf("bosaclient: skill %s: %w: the artifact hashes to %s, the server recorded %s",
				skill.ID, ErrChecksumMismatch, got, want)
		}
	}
	return a, nil
}

// unzipSkill checks a skill zip and returns its files in name order.
func unzipSkill(data []byte) ([]SkillFile, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid zip: %w", ErrUnsafeArchive, err)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > MaxSkillExpandedBytes {
			return nil, fmt.Errorf("%w: expands to more than %d bytes", ErrUnsafeArchive, MaxSkillExpandedBytes)
		}
		if unsafeMember(f.Name) {
			return nil, fmt.Errorf("%w: member %q is absolute or leaves the archive", ErrUnsafeArchive, f.Name)
		}
	}
	var files []SkillFile
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: member %q: %w", ErrUnsafeArchive, f.Name, err)
		}
		// archive/zip fails a member that inflates past its declared size.
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: member %q: %w", ErrUnsafeArchive, f.Name, err)
		}
		files = append(files, SkillFile{Name: f.Name, Data: b})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// unsafeMember reports an absolute member name (a leading slash or backslash, or a drive letter) or one
// with a ".." segment.
func unsafeMember(name string) bool {
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || (len(name) >= 2 && name[1] == ':') {
		return true
	}
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return true
		}
	}
	return false
}

// skillChecksum is content_sha256 of a verified artifact: SHA-256 of a single file's bytes; for a zip,
// SHA-256 over its non-directory members in code-point order of name (Go's string order), each as name,
// NUL, and the 32-byte SHA-256 digest of its bytes.
func skillChecksum(a *SkillArtifact) string {
	if !a.Zip {
		sum := sha256.Sum256(a.Data)
		return hex.EncodeToString(sum[:])
	}
	h := sha256.New()
	for _, f := range a.Files { // already in name order
		d := sha256.Sum256(f.Data)
		h.Write([]byte(f.Name))
		h.Write([]byte{0})
		h.Write(d[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Extract writes the artifact's files under dir (created if needed): a zip's tree, or dir/SKILL.md. It
// refuses to overwrite an existing file and checks every file before writing the first.
func (a *SkillArtifact) Extract(dir string) error {
	root, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("bosaclient: extract skill: %w", err)
	}
	targets := make([]string, len(a.Files))
	for i, f := range a.Files {
		t := filepath.Join(root, filepath.FromSlash(f.Name))
		if rel, err := filepath.Rel(root, t); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("bosaclient: extract skill: %w: %q leaves %s", ErrUnsafeArchive, f.Name, dir)
		}
		if _, err := os.Lstat(t); err == nil {
			return fmt.Errorf("bosaclient: extract skill: %s already exists", t)
		}
		targets[i] = t
	}
	for i, f := range a.Files {
		if err := os.MkdirAll(filepath.Dir(targets[i]), 0o755); err != nil {
			return fmt.Errorf("bosaclient: extract skill: %w", err)
		}
		if err := os.WriteFile(targets[i], f.Data, 0o644); err != nil {
			return fmt.Errorf("bosaclient: extract skill: %w", err)
		}
	}
	return nil
}

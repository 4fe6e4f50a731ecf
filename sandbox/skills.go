package sandbox

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Tenant skills (docs/protocol.md §17.6): GET /api/skills and /api/skills/{id},
// read with a user token, the tenant (client) taken from its claims; a skill's artifact is served
// at a presigned sandbox URL that needs no headers.

// Skill source types and what their artifact is.
const (
	SkillUploadZip = "upload_zip" // a zip
	SkillGitHub    = "github"     // a zip snapshot of a GitHub folder
	SkillUploadMD  = "upload_md"  // a single SKILL.md
	SkillManual    = "manual"     // a single SKILL.md
)

// Skill is a tenant skill to add with AddSkill.
type Skill struct {
	Name, Description string
	// SourceType is one of upload_zip, github, upload_md, manual (or anything else, to test
	// clients' handling of an unknown type).
	SourceType string
	// Files are a zip's members (a name ending in "/" is a directory entry) or, for a
	// single-file skill, the text under "SKILL.md".
	Files map[string][]byte
	// Archive, when set, is served as is instead of a zip built from Files (hostile archives).
	Archive []byte
	// ContentSHA256, when set, is recorded instead of the computed checksum ("" records null).
	ContentSHA256 *string
	// Pending makes a github skill whose snapshot does not exist yet: download_url is null.
	Pending bool
}

type storedSkill struct {
	id, clientID, name, desc, sourceType string
	content                              []byte
	sha                                  string // "" → null
	pending                              bool
	githubOwner, githubRepo              string
	githubRef, githubPath                string
	created                              time.Time
}

type skillStore struct {
	mu       sync.Mutex
	byClient map[string][]*storedSkill
	byID     map[string]*storedSkill
	seeded   map[string]bool
}

func (st *skillStore) init() {
	st.byClient = map[string][]*storedSkill{}
	st.byID = map[string]*storedSkill{}
	st.seeded = map[string]bool{}
}

// seedSkills are every tenant's skills at start: two zips (one from GitHub), two single files
// and a GitHub skill whose snapshot is pending.
var seedSkills = []Skill{
	{Name: "release-notes", Description: "Write release notes from merged pull requests.", SourceType: SkillUploadZip,
		Files: map[string][]byte{
			"SKILL.md": []byte("---\nname: release-notes\ndescription: Write release notes from merged pull requests.\n---\n\n" +
				"# Release notes\n\n1. List the merged pull requests since the last tag.\n2. Group them with templates/notes.md.\n"),
			"scripts/":             nil,
			"scripts/changelog.py": []byte("import sys\n\nfor line in sys.stdin:\n    print('- ' + line.strip())\n"),
			"templates/notes.md":   []byte("## Features\n\n## Fixes\n\n## Chores\n"),
		}},
	{Name: "code-review", Description: "Review a pull request against the team checklist.", SourceType: SkillGitHub,
		Files: map[string][]byte{
			"SKILL.md":     []byte("---\nname: code-review\ndescription: Review a pull request against the team checklist.\n---\n\nRead checklist.md, then comment.\n"),
			"checklist.md": []byte("- Tests cover the change\n- Errors are wrapped\n- No secrets in logs\n"),
		}},
	{Name: "meeting-notes", Description: "Turn a meeting transcript into notes and action items.", SourceType: SkillUploadMD,
		Files: map[string][]byte{"SKILL.md": []byte("---\nname: meeting-notes\ndescription: Turn a meeting transcript into notes and action items.\n---\n\n" +
			"Summarise decisions first, then list action items with owners.\n")}},
	{Name: "sql-style", Description: "House style for SQL queries.", SourceType: SkillManual,
		Files: map[string][]byte{"SKILL.md": []byte("---\nname: sql-style\ndescription: House style for SQL queries.\n---\n\nUpper-case keywords; one clause per line.\n")}},
	{Name: "dependency-audit", Description: "Audit a repository's dependencies.", SourceType: SkillGitHub, Pending: true},
}

// SkillChecksum computes content_sha256 as the service does: for a zip, SHA-256 over every
// non-directory member in code-point order of its name, feeding name, a NUL byte and the 32-byte
// SHA-256 digest of the member's bytes; for a single file, SHA-256 of its bytes. Hex, lower case.
func SkillChecksum(artifact []byte, isZip bool) (string, error) {
	if !isZip {
		sum := sha256.Sum256(artifact)
		return hex.EncodeToString(sum[:]), nil
	}
	zr, err := zip.NewReader(bytes.NewReader(artifact), int64(len(artifact)))
	if err != nil {
		return "", err
	}
	files := make([]*zip.File, 0, len(zr.File))
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/") {
			files = append(files, f)
		}
	}
	// Go compares strings by UTF-8 bytes, which is code-point order.
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	h := sha256.New()
	for _, f := range files {
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		eh := sha256.New()
		_, err = io.Copy(eh, rc)
		rc.Close()
		if err != nil {
			return "", err
		}
		h.Write([]byte(f.Name))
		h.Write([]byte{0})
		h.Write(eh.Sum(nil))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// skillIsZip reports whether a source type's artifact is a zip.
func skillIsZip(sourceType string) bool {
	return sourceType != SkillUploadMD && sourceType != SkillManual
}

// buildZip writes files into a zip with fixed timestamps, members in name order.
func buildZip(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		fh := &zip.FileHeader{Name: n, Method: zip.Deflate, Modified: seedEpoch}
		if strings.HasSuffix(n, "/") {
			fh.Method = zip.Store
		}
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newStoredSkill renders sk for client clientID under id.
func newStoredSkill(id, clientID string, sk Skill, created time.Time) (*storedSkill, error) {
	st := &storedSkill{id: id, clientID: clientID, name: sk.Name, desc: sk.Description, sourceType: sk.SourceType,
		pending: sk.Pending, created: created}
	if sk.SourceType == SkillGitHub {
		st.githubOwner, st.githubRepo, st.githubRef, st.githubPath = "acme", "skills", "main", sk.Name
	}
	isZip := skillIsZip(sk.SourceType)
	switch {
	case sk.Pending:
	case sk.Archive != nil:
		st.content = sk.Archive
	case isZip:
		b, err := buildZip(sk.Files)
		if err != nil {
			return nil, err
		}
		st.content = b
	default:
		st.content = sk.Files["SKILL.md"]
	}
	switch {
	case sk.ContentSHA256 != nil:
		st.sha = *sk.ContentSHA256
	case !sk.Pending:
		// An archive that is not a zip has no checksum: null, as for older payloads.
		st.sha, _ = SkillChecksum(st.content, isZip)
	}
	return st, nil
}

// AddSkill adds a skill to the tenant whose client key is apiKey and returns its id.
func (s *Sandbox) AddSkill(apiKey string, sk Skill) (string, error) {
	c, aerr := s.clientByKey(apiKey)
	if aerr != nil {
		return "", aerr
	}
	if sk.Name == "" || sk.SourceType == "" {
		return "", errors.New("sandbox: AddSkill: Name and SourceType are required")
	}
	s.tenantSkills(c.id) // seeds first, so the new one is listed last
	st, err := newStoredSkill(uuid.NewString(), c.id, sk, s.cfg.now().UTC())
	if err != nil {
		return "", err
	}
	s.skills.mu.Lock()
	s.skills.byClient[c.id] = append(s.skills.byClient[c.id], st)
	s.skills.byID[st.id] = st
	s.skills.mu.Unlock()
	return st.id, nil
}

// tenantSkills returns a tenant's skills, seeding them on first use (ids derive from the client id,
// so they are stable across runs for seeded clients).
func (s *Sandbox) tenantSkills(clientID string) []*storedSkill {
	s.skills.mu.Lock()
	defer s.skills.mu.Unlock()
	if !s.skills.seeded[clientID] {
		s.skills.seeded[clientID] = true
		for i, sk := range seedSkills {
			id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("bosa-sandbox:skill:"+clientID+":"+sk.Name)).String()
			st, err := newStoredSkill(id, clientID, sk, seedEpoch.Add(time.Duration(i)*time.Hour))
			if err != nil {
				panic("sandbox: seed skill " + sk.Name + ": " + err.Error())
			}
			s.skills.byClient[clientID] = append(s.skills.byClient[clientID], st)
			s.skills.byID[id] = st
		}
	}
	return append([]*storedSkill(nil), s.skills.byClient[clientID]...)
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (st *storedSkill) summary() map[string]any {
	var ghURL any
	if st.sourceType == SkillGitHub {
		ghURL = "https://github.com/" + st.githubOwner + "/" + st.githubRepo + "/tree/" + st.githubRef + "/" + st.githubPath
	}
	ts := st.created.Format(time.RFC3339)
	return map[string]any{"id": st.id, "client_id": st.clientID, "source_type": st.sourceType, "name": st.name,
		"description": nullable(st.desc), "github_url": ghURL, "created_at": ts, "updated_at": ts}
}

// skillURLLifetime is how long a presigned download URL stays valid.
const skillURLLifetime = time.Hour

func (s *Sandbox) detail(r *http.Request, st *storedSkill) map[string]any {
	d := st.summary()
	d["frontmatter"] = map[string]any{"name": st.name, "description": st.desc}
	d["download_url"] = nil
	if !st.pending {
		exp := strconv.FormatInt(s.cfg.now().Add(skillURLLifetime).Unix(), 10)
		q := url.Values{"expires": {exp}, "signature": {s.sign("skill-download", st.id, exp)}}
		d["download_url"] = s.baseURL(r) + "/sandbox/skills/" + st.id + "/download?" + q.Encode()
	}
	d["content_sha256"] = nullable(st.sha)
	for k, v := range map[string]string{"github_owner": st.githubOwner, "github_repo": st.githubRepo,
		"github_ref": st.githubRef, "github_path": st.githubPath} {
		d[k] = nullable(v)
	}
	return d
}

// skillTenant authenticates a tenant-skill read: a user token alone. An X-API-Key switches to the
// master-key path, which needs the master key and an explicit client_id.
func (s *Sandbox) skillTenant(r *http.Request) (string, *apiError) {
	if key := r.Header.Get("X-API-Key"); key != "" {
		if s.cfg.masterKey == "" || !hmacEqual(key, s.cfg.masterKey) {
			return "", &apiError{Status: http.StatusUnauthorized, Code: codeInvalidClient,
				Message: "X-API-Key on /api/skills selects the master-key path; send the user token alone"}
		}
		id := r.URL.Query().Get("client_id")
		if id == "" {
			return "", errQuery("client_id", "is required with the master key")
		}
		s.mu.RLock()
		c := s.clientByID[id]
		s.mu.RUnlock()
		if c == nil {
			return "", errNotFound("Client " + id + " not found")
		}
		return c.id, nil
	}
	if bearer(r) == "" {
		return "", errUnauthorized("Missing bearer token")
	}
	c, aerr := s.clientFor(r)
	if aerr == nil {
		_, aerr = s.userFor(r, c)
	}
	if aerr != nil {
		return "", aerr
	}
	return c.id, nil
}

func (s *Sandbox) handleListSkills(w http.ResponseWriter, r *http.Request) {
	tenant, aerr := s.skillTenant(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	limit, offset, aerr := page(r.URL.Query())
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	all := s.tenantSkills(tenant)
	items := make([]map[string]any, len(all))
	for i, st := range all {
		items[i] = st.summary()
	}
	writeJSON(w, http.StatusOK, listBody(items, limit, offset))
}

func (s *Sandbox) handleGetSkill(w http.ResponseWriter, r *http.Request, id string) {
	if id == "agent" || id == "openclaw" {
		// Catalog routes that share the prefix: 200 with an unrelated (unwrapped) body.
		q := url.Values{"source": {id}}
		writeJSON(w, http.StatusOK, listBody(filterSkills(q), 50, 0))
		return
	}
	tenant, aerr := s.skillTenant(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if _, err := uuid.Parse(id); err != nil {
		writeError(w, errNotFound("Skill "+id+" not found: a skill id is a UUID"))
		return
	}
	s.tenantSkills(tenant)
	s.skills.mu.Lock()
	st := s.skills.byID[id]
	s.skills.mu.Unlock()
	if st == nil || st.clientID != tenant {
		writeError(w, errNotFound("Skill "+id+" not found"))
		return
	}
	writeData(w, s.detail(r, st), nil)
}

// handleSkillDownload serves a presigned artifact URL: no headers needed, valid until expires.
func (s *Sandbox) handleSkillDownload(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil || !hmacEqual(q.Get("signature"), s.sign("skill-download", id, q.Get("expires"))) {
		writeError(w, &apiError{Status: http.StatusForbidden, Code: codeForbidden, Message: "Invalid download signature"})
		return
	}
	if s.cfg.now().Unix() > exp {
		writeError(w, &apiError{Status: http.StatusForbidden, Code: codeForbidden, Message: "Download URL has expired; get the skill again for a new one"})
		return
	}
	s.skills.mu.Lock()
	st := s.skills.byID[id]
	s.skills.mu.Unlock()
	if st == nil || st.pending {
		writeError(w, errNotFound("Skill "+id+" has no artifact"))
		return
	}
	ct, name := "application/zip", st.name+".zip"
	if !skillIsZip(st.sourceType) {
		ct, name = "text/markdown; charset=utf-8", "SKILL.md"
	}
	serveFile(w, &fileResult{name: name, contentType: ct, size: int64(len(st.content)), body: bytes.NewReader(st.content)})
}

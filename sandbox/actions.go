package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bosa.dev/gateway/schema"
	"bosa.dev/gateway/shape"
)

// connector is a demo connector: its actions and how users integrate with it.
type connector struct {
	name    string
	actions map[string]*action
	order   []string // action names in discovery order

	oauthScopes  []string                       // scopes stored with OAuth2 integrations
	customAuth   bool                           // accepts {"auth_type": "custom"}
	defaultLogin func(identifier string) string // third-party account name when the authorize URL has no login
	tokenPrefix  string                         // prefix of the fake access token in auth_string
}

func (c *connector) add(a *action) {
	a.connector = c.name
	if c.actions == nil {
		c.actions = map[string]*action{}
	}
	c.actions[a.name] = a
	c.order = append(c.order, a.name)
}

// action is one POST /connectors/{c}/{action} route.
type action struct {
	connector   string
	name        string
	doc         string
	schema      *schema.Schema // parameters.request.schema, fully inlined (§5.3)
	user        bool           // needs a bearer token
	integration bool           // needs a resolved integration (implies user)
	run         func(*call) (*result, error)
}

// call is one running action.
type call struct {
	s           *Sandbox
	user        *user
	integration string // user_identifier of the integration in use
	params      map[string]any
	now         time.Time
}

// result is what an action returns: JSON data and meta, or a file.
type result struct {
	data any
	meta any // nil → "meta": null
	file *fileResult
}

type fileResult struct {
	name, contentType string
	size              int64
	body              io.Reader
}

// upload is a file part of a multipart request, the value of a binary parameter.
type upload struct {
	Filename    string
	ContentType string
	Data        []byte
}

func isUpload(v any) bool { _, ok := v.(*upload); return ok }

const maxFormBytes = 10 << 20 // JSON and urlencoded bodies, and all non-file multipart fields together

func (s *Sandbox) runAction(w http.ResponseWriter, r *http.Request, act *action) {
	c, aerr := s.clientFor(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	cl := &call{s: s, now: s.cfg.now().UTC()}
	if act.user || act.integration {
		if cl.user, aerr = s.userFor(r, c); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	if act.integration {
		if cl.integration, aerr = s.resolveIntegration(r, cl.user, act.connector); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	raw, aerr := s.decodeBody(w, r, act)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	params, err := act.schema.Validate(raw, schema.Options{Lax: true, Unknown: schema.UnknownDrop, IsFile: isUpload})
	if err != nil {
		writeError(w, err)
		return
	}
	cl.params = params
	filters, err := shape.ParseFilters(params["response_filters"])
	if err != nil {
		writeError(w, errValidation("Invalid parameters: response_filters: "+err.Error()))
		return
	}
	fields, err := shape.ParseFields(params["response_fields"])
	if err != nil {
		writeError(w, errValidation("Invalid parameters: response_fields: "+err.Error()))
		return
	}
	res, err := act.run(cl)
	if err != nil {
		writeError(w, err)
		return
	}
	if res.file != nil {
		serveFile(w, res.file)
		return
	}
	data := res.data
	if len(filters) > 0 || len(fields) > 0 {
		data = shape.Apply(plainJSON(data), filters, fields)
	}
	writeData(w, data, res.meta)
}

// plainJSON converts Go values to the generic JSON form (map[string]any, []any, float64, …)
// that shape works on.
func plainJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// decodeBody turns a JSON, urlencoded or multipart body into the raw parameter object (§6.2).
func (s *Sandbox) decodeBody(w http.ResponseWriter, r *http.Request, act *action) (map[string]any, *apiError) {
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, errValidation("Invalid Content-Type header")
		}
	}
	switch mt {
	case "multipart/form-data":
		return s.decodeMultipart(w, r, act)
	case "application/x-www-form-urlencoded":
		body, aerr := readLimited(r.Body, maxFormBytes)
		if aerr != nil {
			return nil, aerr
		}
		if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' {
			// curl -d sends this Content-Type by default; say so instead of "owner: is required".
			return nil, errValidation("The body looks like JSON but Content-Type is application/x-www-form-urlencoded: send Content-Type: application/json")
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errValidation("Invalid form body: " + err.Error())
		}
		return decodeForm(act, vals)
	case "", "application/json":
		body, aerr := readLimited(r.Body, maxFormBytes)
		if aerr != nil {
			return nil, aerr
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return map[string]any{}, nil
		}
		var params map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&params); err != nil || params == nil {
			return nil, errValidation("Request body must be a JSON object")
		}
		return params, nil
	default:
		return nil, errValidation("Unsupported Content-Type " + strconv.Quote(mt) +
			": send application/json, application/x-www-form-urlencoded or multipart/form-data")
	}
}

func decodeForm(act *action, vals url.Values) (map[string]any, *apiError) {
	params, err := act.schema.DecodeForm(vals)
	if err != nil {
		ae := asAPIError(err)
		if ae.Code == codeInternal {
			return nil, errValidation("Invalid form values: " + err.Error())
		}
		return nil, ae
	}
	if params == nil {
		params = map[string]any{}
	}
	return params, nil
}

func (s *Sandbox) decodeMultipart(w http.ResponseWriter, r *http.Request, act *action) (map[string]any, *apiError) {
	limit := s.cfg.maxUpload
	r.Body = http.MaxBytesReader(w, r.Body, limit+maxFormBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errValidation("Invalid multipart body: " + err.Error())
	}
	vals := url.Values{}
	files := map[string][]any{}
	var fieldBytes int64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bodyError(err, limit)
		}
		name := part.FormName()
		if name == "" {
			_ = part.Close()
			continue
		}
		if part.FileName() == "" {
			b, aerr := readLimited(part, maxFormBytes-fieldBytes)
			if aerr != nil {
				return nil, aerr
			}
			fieldBytes += int64(len(b))
			vals.Add(name, string(b))
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return nil, bodyError(err, limit)
		}
		if int64(len(data)) > limit {
			return nil, errValidation("Invalid parameters: " + name + ": file exceeds the upload limit of " +
				strconv.FormatInt(limit, 10) + " bytes")
		}
		pct := part.Header.Get("Content-Type")
		if pct == "" {
			pct = "application/octet-stream"
		}
		files[name] = append(files[name], &upload{Filename: part.FileName(), ContentType: pct, Data: data})
	}
	params, aerr := decodeForm(act, vals)
	if aerr != nil {
		return nil, aerr
	}
	for name, fs := range files {
		if len(fs) == 1 {
			if p := act.schema.Properties[name]; p == nil || !isArraySchema(p) {
				params[name] = fs[0]
				continue
			}
		}
		params[name] = fs
	}
	return params, nil
}

func isArraySchema(p *schema.Schema) bool {
	if p.Type == "array" {
		return true
	}
	for _, m := range p.AnyOf {
		if m.Type == "array" {
			return true
		}
	}
	return false
}

func bodyError(err error, limit int64) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errValidation("Request body exceeds the upload limit of " + strconv.FormatInt(limit, 10) + " bytes")
	}
	return errValidation("Invalid multipart body: " + err.Error())
}

func readLimited(r io.Reader, limit int64) ([]byte, *apiError) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errValidation("Request body too large")
		}
		return nil, errValidation("Could not read the request body")
	}
	if int64(len(b)) > limit {
		return nil, errValidation("Request body too large (limit " + strconv.FormatInt(limit, 10) + " bytes)")
	}
	return b, nil
}

// serveFile streams a file answer (§6.4): its Content-Type, Content-Length and an attachment
// Content-Disposition with a quoted ASCII filename, plus filename* when the name is not ASCII.
func serveFile(w http.ResponseWriter, f *fileResult) {
	h := w.Header()
	ct := f.contentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(f.size, 10))
	h.Set("Content-Disposition", contentDisposition(f.name))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f.body)
}

func contentDisposition(name string) string {
	var ascii strings.Builder
	plain := true
	for _, r := range name {
		switch {
		case r == '"' || r == '\\':
			ascii.WriteByte('\\')
			ascii.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			ascii.WriteByte('_')
			plain = false
		case r >= utf8.RuneSelf:
			ascii.WriteByte('_')
			plain = false
		default:
			ascii.WriteRune(r)
		}
	}
	v := `attachment; filename="` + ascii.String() + `"`
	if !plain {
		v += "; filename*=UTF-8''" + rfc5987Escape(name)
	}
	return v
}

// Parameter accessors: validated params hold JSON-ish values whose exact Go number type
// depends on the decoder, so read them leniently.

func paramString(p map[string]any, key string) string {
	switch v := p[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func paramInt(p map[string]any, key string) (int, bool) {
	switch v := p[key].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return int(i), true
		}
		if f, err := v.Float64(); err == nil {
			return int(f), true
		}
	case string:
		if i, err := strconv.Atoi(v); err == nil {
			return i, true
		}
	}
	return 0, false
}

// rfc5987Escape percent-encodes every byte that is not an RFC 5987 attr-char.
func rfc5987Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

package bosaclient

// Tests against the BOSA sandbox over real HTTP.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
	"bosa.dev/gateway/shape"
)

// env is a sandbox with one user holding a github and a google_drive integration, and a client for it.
type env struct {
	srv       *sandbox.Server
	c         *Client
	secret    string
	token     string
	transport *countingTransport // shared by every client of the env: counts requests sent
	done      *doneCounter       // counts requests the sandbox finished
}

var fastRetry = RetryPolicy{MaxAttempts: 1, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}

// doneCounter is a slog.Handler counting the sandbox's per-request log lines, written when a request's
// handler has returned.
type doneCounter struct{ n atomic.Int64 }

func (d *doneCounter) Enabled(context.Context, slog.Level) bool { return true }
func (d *doneCounter) WithAttrs([]slog.Attr) slog.Handler       { return d }
func (d *doneCounter) WithGroup(string) slog.Handler            { return d }
func (d *doneCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "request" {
		d.n.Add(1)
	}
	return nil
}

func newEnv(t *testing.T, identifier string, opts ...Option) *env {
	t.Helper()
	done := &doneCounter{}
	srv := sandbox.NewServer(sandbox.WithLogger(slog.New(done)))
	t.Cleanup(srv.Close)
	e := &env{srv: srv, done: done, transport: &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}}
	c, err := e.newClient(append([]Option{WithRetry(fastRetry)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	ctx := context.Background()
	u, err := c.CreateUser(ctx, identifier)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Authenticate(ctx, identifier, u.Secret)
	if err != nil {
		t.Fatal(err)
	}
	e.secret, e.token = u.Secret, tok.Token
	e.oauth(t, "github", "")
	e.oauth(t, "google_drive", "")
	srv.ResetCalls()
	// Requests made so far have finished; the OAuth browser requests are finished but not "sent".
	base := e.done.n.Load() - e.transport.n.Load()
	// Runs before srv.Close (cleanups run last-registered first): wait for handlers of requests the client
	// abandoned (injected latency on a POST the sandbox cannot see cancelled), so that Close never has to.
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for e.done.n.Load()-e.transport.n.Load() < base && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // the sandbox logs just before its handler wrapper returns
	})
	return e
}

// newClient returns a client of the env's sandbox whose requests are counted.
func (e *env) newClient(opts ...Option) (*Client, error) {
	return New(e.srv.URL, sandbox.DemoAPIKey, append([]Option{WithHTTPClient(&http.Client{Transport: e.transport})}, opts...)...)
}

// oauth runs the sandbox's OAuth2 flow for the env's user; login names the third-party account ("" = default).
func (e *env) oauth(t *testing.T, connector, login string) {
	t.Helper()
	callback := e.srv.URL + "/connectors/" + connector + "/success-authorize-callback"
	raw, err := e.c.InitiateIntegration(context.Background(), connector, callback, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	if err := followOAuth(raw, login); err != nil {
		t.Fatal(err)
	}
}

// followOAuth plays the user's browser: it opens the authorize URL and follows the redirects.
func followOAuth(raw, login string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if login != "" {
		q := u.Query()
		q.Set("login", login)
		u.RawQuery = q.Encode()
	}
	resp, err := http.Get(u.String())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("oauth flow ended with %s", resp.Status)
	}
	return nil
}

func numbers(items []any, key string) []int {
	out := make([]int, 0, len(items))
	for _, it := range items {
		f, _ := it.(map[string]any)[key].(float64)
		out = append(out, int(f))
	}
	return out
}

func strs(items []any, key string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, _ := it.(map[string]any)[key].(string)
		out = append(out, s)
	}
	return out
}

func TestSandboxDiscovery(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := New(srv.URL+"/", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	names, err := c.ConnectorNames(ctx)
	if err != nil || strings.Join(names, ",") != "github,google_drive" {
		t.Fatalf("names = %v, %v", names, err)
	}
	all, err := c.Connectors(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("connectors = %v, %v", all, err)
	}
	gh, err := c.Connector(ctx, "github")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"get_repository", "list_collaborators", "list_commits", "list_pull_requests"} {
		if gh.Action(want) == nil {
			t.Errorf("github has no %s: %v", want, gh.ActionNames())
		}
	}
	a, err := c.Action(ctx, "github", "list_pull_requests")
	if err != nil {
		t.Fatal(err)
	}
	if a.Summary == "" || a.Docstring == "" || a.Path != "/connectors/github/list_pull_requests" || a.Schema == nil {
		t.Fatalf("action: %+v", a)
	}
	req := map[string]bool{}
	for _, p := range a.Parameters {
		req[p.Name] = p.Required
	}
	for name, want := range map[string]bool{"owner": true, "repo": true, "state": false, "page": false, "per_page": false,
		"response_fields": false, "response_filters": false} {
		if got, ok := req[name]; !ok || got != want {
			t.Errorf("parameter %s: required=%v present=%v, want required=%v", name, got, ok, want)
		}
	}
	up, err := c.Action(ctx, "google_drive", "upload_file")
	if err != nil || !up.Schema.HasBinary() {
		t.Fatalf("upload_file: %v", err)
	}
	if _, err := c.Action(ctx, "github", "nope"); !IsNotFound(err) {
		t.Fatalf("unknown action: %v", err)
	}
	if _, err := c.Connector(ctx, "nope"); !IsNotFound(err) {
		t.Fatalf("unknown connector: %v", err)
	}
}

func TestSandboxDiscoveryCache(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, _ := New(srv.URL, sandbox.DemoAPIKey, WithDiscoveryTTL(time.Hour))
	ctx := context.Background()

	// Concurrent first callers share one fetch.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Action(ctx, "github", "list_commits"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := srv.Calls("", "discovery").Total; n != 1 {
		t.Fatalf("discovery fetched %d times, want 1", n)
	}
	// Cached: no new fetch.
	if _, err := c.Connector(ctx, "github"); err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls("", "discovery").Total; n != 1 {
		t.Fatalf("cached lookup fetched again (%d)", n)
	}
	// Refresh fetches the whole listing once; then both connectors are cached.
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connector(ctx, "google_drive"); err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls("", "discovery").Total; n != 2 {
		t.Fatalf("after Refresh: %d fetches, want 2", n)
	}
	// Names are cached too.
	for range 3 {
		if _, err := c.ConnectorNames(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Calls("", "discovery").Total; n != 3 {
		t.Fatalf("names: %d fetches, want 3", n)
	}

	// A short TTL expires.
	c2, _ := New(srv.URL, sandbox.DemoAPIKey, WithDiscoveryTTL(20*time.Millisecond))
	srv.ResetCalls()
	for range 2 {
		if _, err := c2.Connector(ctx, "github"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(40 * time.Millisecond)
	}
	if n := srv.Calls("", "discovery").Total; n != 2 {
		t.Fatalf("TTL: %d fetches, want 2", n)
	}

	// A caller whose context ends returns at once; the shared fetch goes on for the others.
	srv.ResetCalls()
	srv.Inject("", "discovery", sandbox.Fault{Latency: time.Second, Times: 1})
	c3, _ := New(srv.URL, sandbox.DemoAPIKey)
	patient := make(chan error, 1)
	go func() { _, err := c3.Connector(ctx, "github"); patient <- err }()
	for srv.Calls("", "discovery").Total == 0 { // the patient caller's fetch has reached the server
		time.Sleep(5 * time.Millisecond)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c3.Connector(short, "github"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("short caller: %v", err)
	}
	select { // the short caller returned without waiting for the shared fetch (a second of latency)
	case err := <-patient:
		t.Fatalf("short caller returned only after the shared fetch (patient caller: %v)", err)
	default:
	}
	if err := <-patient; err != nil {
		t.Fatalf("patient caller: %v", err)
	}
	if cc := srv.Calls("", "discovery"); cc.Total != 1 || cc.Cancelled != 0 {
		t.Fatalf("shared fetch: %+v", cc)
	}

	// When the only caller gives up, the fetch is cancelled upstream.
	srv.ResetCalls()
	srv.Inject("", "discovery", sandbox.Fault{Latency: 10 * time.Second, Times: 1})
	c4, _ := New(srv.URL, sandbox.DemoAPIKey)
	lone, cancelLone := context.WithCancel(ctx)
	defer cancelLone()
	go func() { // the caller gives up once its fetch has reached the server
		for srv.Calls("", "discovery").Total == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancelLone()
	}()
	if _, err := c4.Connector(lone, "github"); !errors.Is(err, context.Canceled) {
		t.Fatalf("lone caller: %v", err)
	}
	var cc sandbox.CallCount
	for range 100 {
		if cc = srv.Calls("", "discovery"); cc.Cancelled == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if cc.Total != 1 || cc.Cancelled != 1 {
		t.Fatalf("abandoned fetch: %+v", cc)
	}
	if _, err := c4.Connector(ctx, "github"); err != nil {
		t.Fatalf("next caller: %v", err)
	}
}

func TestSandboxPagingPageBased(t *testing.T) {
	e := newEnv(t, "pager")
	ctx := context.Background()
	// acme/web has 237 pull requests; all states, 50 per page → 5 pages.
	first, err := e.c.Run(ctx, "github", "list_pull_requests",
		map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 50}, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	if !first.IsList() || !first.HasNext() || first.HasPrev() {
		t.Fatalf("first page: list=%v next=%v prev=%v meta=%v", first.IsList(), first.HasNext(), first.HasPrev(), first.Meta)
	}
	pages := []*ActionResponse{first}
	var forward []int
	forward = append(forward, numbers(first.Items(), "number")...)
	cur := first
	for cur.HasNext() {
		next, err := cur.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, next)
		forward = append(forward, numbers(next.Items(), "number")...)
		cur = next
	}
	if len(pages) != 5 || len(forward) != 237 || forward[0] != 237 || forward[236] != 1 {
		t.Fatalf("forward: %d pages, %d items, first %d last %d", len(pages), len(forward), forward[0], forward[len(forward)-1])
	}
	for i, n := range forward {
		if n != 237-i {
			t.Fatalf("item %d is PR %d", i, n)
		}
	}
	if _, err := cur.NextPage(ctx); !errors.Is(err, ErrNoPage) {
		t.Fatalf("past the last page: %v", err)
	}
	// Back from the last page to the first; each page equals the forward one.
	for i := len(pages) - 1; i > 0; i-- {
		prev, err := cur.PrevPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(numbers(prev.Items(), "number"), numbers(pages[i-1].Items(), "number")) {
			t.Fatalf("page %d differs going back", i)
		}
		cur = prev
	}
	if cur.HasPrev() {
		t.Fatal("first page has a previous one")
	}
	all, err := first.AllItems(ctx)
	if err != nil || !slices.Equal(numbers(all, "number"), forward) {
		t.Fatalf("AllItems: %d items, %v", len(all), err)
	}
	// Page tokens: NextParams is the complete next request.
	p, ok := first.NextParams()
	if !ok || p["page"] != float64(2) || p["owner"] != "acme" || p["per_page"] != float64(50) {
		t.Fatalf("NextParams = %v, %v", p, ok)
	}
	second, err := e.c.Run(ctx, "github", "list_pull_requests", p, WithToken(e.token))
	if err != nil || !slices.Equal(numbers(second.Items(), "number"), numbers(pages[1].Items(), "number")) {
		t.Fatalf("executing NextParams: %v", err)
	}
	if pp, ok := second.PrevParams(); !ok || pp["page"] != float64(1) {
		t.Fatalf("PrevParams = %v", pp)
	}
}

func TestSandboxPagingCursor(t *testing.T) {
	e := newEnv(t, "cursor")
	ctx := context.Background()
	// acme/web has 523 commits: 100 per page → 6 pages.
	first, err := e.c.Connect("github").Action("list_commits").
		Params(map[string]any{"owner": "acme"}).Params(map[string]any{"repo": "web", "per_page": 100}).
		Token(e.token).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pages []*ActionResponse
	var shas []string
	for page, err := range first.Pages(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
		shas = append(shas, strs(page.Items(), "sha")...)
	}
	if len(pages) != 6 || len(shas) != 523 {
		t.Fatalf("forward: %d pages, %d commits", len(pages), len(shas))
	}
	if len(slices.Compact(slices.Sorted(slices.Values(shas)))) != 523 {
		t.Fatal("duplicate commits across pages")
	}
	if c, _ := pages[1].Params()["cursor"].(string); c == "" {
		t.Fatalf("second page was not requested by cursor: %v", pages[1].Params())
	}
	cur := pages[len(pages)-1]
	for i := len(pages) - 1; i > 0; i-- {
		prev, err := cur.PrevPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(strs(prev.Items(), "sha"), strs(pages[i-1].Items(), "sha")) {
			t.Fatalf("page %d differs going back", i)
		}
		cur = prev
	}
	if cur.HasPrev() {
		t.Fatal("first page has a previous one")
	}

	// google_drive/list_files: 306 files, 25 per page by default → 13 pages.
	files, err := e.c.Run(ctx, "google_drive", "list_files", nil, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	items, err := files.AllItems(ctx)
	if err != nil || len(items) != 306 {
		t.Fatalf("list_files: %d items, %v", len(items), err)
	}

	// Breaking out of Pages stops fetching.
	e.srv.ResetCalls()
	for range first.Pages(ctx) {
		break
	}
	if n := e.srv.Calls("github", "list_commits").Total; n != 0 {
		t.Fatalf("Pages fetched %d pages after break", n)
	}

	// The max pages bound.
	small, _ := e.newClient(WithMaxPages(2))
	r, err := small.Run(ctx, "github", "list_commits", map[string]any{"owner": "acme", "repo": "web"}, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.AllItems(ctx)
	if !errors.Is(err, ErrTooManyPages) || len(got) != 60 {
		t.Fatalf("bounded: %d items, %v", len(got), err)
	}
}

// TestSandboxRawData: WithRawData gives the page's data as JSON text (Data nil) that decodes to what
// a plain call gives, and paging over such answers visits the same items.
func TestSandboxRawData(t *testing.T) {
	e := newEnv(t, "raw")
	ctx := context.Background()
	params := map[string]any{"owner": "acme", "repo": "web", "per_page": 100}
	plain, err := e.c.Run(ctx, "github", "list_commits", params, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := e.c.Run(ctx, "github", "list_commits", params, WithToken(e.token), WithRawData())
	if err != nil {
		t.Fatal(err)
	}
	if raw.Data != nil || len(raw.RawData) == 0 || !raw.IsList() || !raw.HasNext() {
		t.Fatalf("raw answer: Data %T, %d bytes of RawData, list %v, has next %v", raw.Data, len(raw.RawData), raw.IsList(), raw.HasNext())
	}
	if !reflect.DeepEqual(raw.Items(), plain.Items()) || !reflect.DeepEqual(raw.Meta, plain.Meta) {
		t.Fatal("raw data or meta differ from the plain answer's")
	}
	var decoded []struct {
		SHA string `json:"sha"`
	}
	if err := raw.Decode(&decoded); err != nil || len(decoded) != 100 || decoded[0].SHA == "" {
		t.Fatalf("Decode: %d items, %v", len(decoded), err)
	}
	items, err := raw.AllItems(ctx)
	if err != nil || len(items) != 523 {
		t.Fatalf("AllItems: %d items, %v", len(items), err)
	}
	next, err := raw.NextPage(ctx)
	if err != nil || next.Data != nil || next.RawData == nil {
		t.Fatalf("NextPage keeps WithRawData: Data %T, RawData %d bytes, %v", next.Data, len(next.RawData), err)
	}
}

func TestSandboxFiltersAndFields(t *testing.T) {
	e := newEnv(t, "shaper")
	ctx := context.Background()
	base := e.c.Connect("github").Action("list_pull_requests").Token(e.token).
		Params(map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 100})
	unfiltered, err := base.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pr := func(it any) map[string]any { return it.(map[string]any) }
	hasLabel := func(it any, names ...string) bool {
		for _, l := range pr(it)["labels"].([]any) {
			if slices.Contains(names, l.(map[string]any)["name"].(string)) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name    string
		filters []shape.Filter
		keep    func(it any) bool
	}{
		{"string ignores case", []shape.Filter{shape.String("state", "OPEN")}, func(it any) bool { return pr(it)["state"] == "open" }},
		{"string case-sensitive", []shape.Filter{shape.String("state", "OPEN").CaseSensitive()}, func(it any) bool { return false }},
		{"string list on a dot path", []shape.Filter{shape.StringList("user.login", "alice", "bob")}, func(it any) bool {
			l := pr(it)["user"].(map[string]any)["login"]
			return l == "alice" || l == "bob"
		}},
		{"number", []shape.Filter{shape.Number("number", 200)}, func(it any) bool { return pr(it)["number"] == float64(200) }},
		{"number list", []shape.Filter{shape.NumberList("number", 150, 160, 999)}, func(it any) bool {
			n := pr(it)["number"].(float64)
			return n == 150 || n == 160
		}},
		{"number range", []shape.Filter{shape.NumberRange("comments", ptr(5), ptr(10))}, func(it any) bool {
			n := pr(it)["comments"].(float64)
			return n >= 5 && n <= 10
		}},
		{"date range and state", []shape.Filter{
			shape.DateRange("created_at", "2025-02-01", "2025-02-10"), shape.String("state", "closed")}, func(it any) bool {
			c := pr(it)["created_at"].(string)
			return c >= "2025-02-01" && c < "2025-02-11" && pr(it)["state"] == "closed"
		}},
		{"root filter prunes labels", []shape.Filter{shape.StringList("name", "bug").Under("labels")}, func(it any) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := base.Filters(tt.filters...).Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var want []int
			for _, it := range unfiltered.Items() {
				if tt.keep(it) {
					want = append(want, int(pr(it)["number"].(float64)))
				}
			}
			if got := numbers(r.Items(), "number"); !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
			if r.Meta["total"] != unfiltered.Meta["total"] {
				t.Fatalf("meta changed by filters: %v", r.Meta)
			}
		})
	}
	// Root filter: labels pruned to "bug" only, items kept.
	r, err := base.Filters(shape.StringList("name", "bug").Under("labels")).Fields("number", "labels.name").Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range r.Items() {
		m := pr(it)
		if len(m) != 2 {
			t.Fatalf("fields not applied: %v", m)
		}
		if hasLabel(unfiltered.Items()[i], "bug") != (len(m["labels"].([]any)) == 1) {
			t.Fatalf("item %d: %v", i, m)
		}
		for _, l := range m["labels"].([]any) {
			if l.(map[string]any)["name"] != "bug" || len(l.(map[string]any)) != 1 {
				t.Fatalf("label not pruned: %v", l)
			}
		}
	}
	// Fields on object data.
	repo, err := e.c.Connect("github").Action("get_repository").Token(e.token).
		Params(map[string]any{"owner": "acme", "repo": "api"}).Fields("full_name", "owner.login").Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(repo.Data) != "map[full_name:acme/api owner:map[login:acme]]" {
		t.Fatalf("fields on an object: %v", repo.Data)
	}
}

func ptr(f float64) *float64 { return &f }

func TestSandboxFiles(t *testing.T) {
	e := newEnv(t, "filer")
	ctx := context.Background()
	drive := e.c.Connect("google_drive")

	// 20 MB random binary round trip, byte-exact.
	data := make([]byte, 20<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	up, err := drive.Action("upload_file").Token(e.token).Params(map[string]any{
		"file": NewFile("big.bin", "application/octet-stream", data), "folder_id": "fld-reports", "description": "round trip",
	}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		ID      string   `json:"id"`
		Size    int      `json:"size"`
		Parents []string `json:"parents"`
	}
	if err := up.Decode(&meta); err != nil || meta.Size != len(data) || meta.Parents[0] != "fld-reports" {
		t.Fatalf("upload answer: %+v %v", meta, err)
	}
	down, err := drive.Action("download_file").Token(e.token).Param("file_id", meta.ID).Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if down.File == nil || !bytes.Equal(down.File.Data, data) || down.File.Filename != "big.bin" {
		t.Fatalf("download differs (%d bytes, %q)", len(down.File.Data), down.File.Filename)
	}

	tests := []struct {
		id, filename, ctype string
	}{
		{"f-20m", "sample-20MiB.bin", "application/octet-stream"},
		{"f-utf8", "résumé 2025 – final.pdf", "application/pdf"},
		{"f-hello", "hello.txt", "text/plain; charset=utf-8"},
		{"f-empty", "empty.txt", "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r, err := e.c.Execute(ctx, "google_drive", "download_file", map[string]any{"file_id": tt.id}, WithToken(e.token))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := sandbox.DemoFileContent(tt.id)
			if r.File == nil || !bytes.Equal(r.File.Data, want) || r.File.Filename != tt.filename || r.File.ContentType != tt.ctype {
				t.Fatalf("file %q %q %d bytes", r.File.Filename, r.File.ContentType, len(r.File.Data))
			}
		})
	}

	// Without Content-Type the answer is still a file.
	e.srv.Inject("google_drive", "download_file", sandbox.Fault{Kind: sandbox.FaultNoContentType, Times: 1})
	r, err := e.c.Execute(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-hello"}, WithToken(e.token))
	if err != nil {
		t.Fatal(err)
	}
	if r.File == nil || r.File.ContentType != "application/octet-stream" || string(r.File.Data) != "Hello from the BOSA sandbox!\n" {
		t.Fatalf("no content type: %+v", r.File)
	}

	// Binary field without a file: urlencoded, which the server rejects (upload_file needs a part).
	_, err = e.c.Execute(ctx, "google_drive", "upload_file", map[string]any{"file": "just text"}, WithToken(e.token))
	if !IsInvalidArgument(err) {
		t.Fatalf("urlencoded upload: %v", err)
	}
	// An oversized answer is refused.
	e.srv.Inject("google_drive", "list_files", sandbox.Fault{Kind: sandbox.FaultOversizedBody, Times: 1})
	if _, err := e.c.Execute(ctx, "google_drive", "list_files", nil, WithToken(e.token)); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestSandboxRetries(t *testing.T) {
	e := newEnv(t, "retrier")
	ctx := context.Background()
	params := map[string]any{"owner": "acme", "repo": "api"}
	tests := []struct {
		name      string
		faults    []sandbox.Fault
		attempts  int
		wantCalls int
		wantErr   func(error) bool
	}{
		{"503 twice then success", []sandbox.Fault{{Status: 503, Times: 2}}, 3, 3, nil},
		{"500 then 502 then success", []sandbox.Fault{{Status: 500, Times: 1}, {Status: 502, Times: 1}}, 5, 3, nil},
		{"429 then success", []sandbox.Fault{{Status: 429, Times: 1}}, 2, 2, nil},
		{"dropped connection then success", []sandbox.Fault{{Kind: sandbox.FaultDropConnection, Times: 1}}, 2, 2, nil},
		{"no retry by default", []sandbox.Fault{{Status: 503, Times: 1}}, 0, 1, IsUnavailable},
		{"attempts exhausted", []sandbox.Fault{{Status: 503, Times: 5}}, 3, 3, IsUnavailable},
		{"400 is not retried", []sandbox.Fault{{Status: 400, Times: 1}}, 3, 1, IsInvalidArgument},
		{"404 is not retried", []sandbox.Fault{{Status: 404, Times: 1}}, 3, 1, IsNotFound},
		{"malformed JSON is not retried", []sandbox.Fault{{Kind: sandbox.FaultMalformedJSON, Times: 1}}, 3, 1,
			func(err error) bool { return err != nil }},
		// The action ran: replaying it could run it twice.
		{"200 with a cut-off body is not retried", []sandbox.Fault{{Kind: sandbox.FaultTruncatedBody, Times: 1}}, 3, 1, IsUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.ClearFaults()
			e.srv.ResetCalls()
			for _, f := range tt.faults {
				e.srv.Inject("github", "get_repository", f)
			}
			call := e.c.Connect("github").Action("get_repository").Params(params).Token(e.token)
			if tt.attempts > 0 {
				call = call.MaxAttempts(tt.attempts)
			}
			_, err := call.Execute(ctx)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Fatalf("err = %v", err)
			}
			if n := e.srv.Calls("github", "get_repository").Total; n != tt.wantCalls {
				t.Fatalf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}

	t.Run("Retry-After honoured", func(t *testing.T) {
		e.srv.ClearFaults()
		e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 429, RetryAfter: time.Second, Times: 1})
		start := time.Now()
		_, err := e.c.Execute(ctx, "github", "get_repository", params, WithToken(e.token), WithMaxAttempts(2))
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < time.Second {
			t.Fatalf("retried after %v, before Retry-After", el)
		}
	})
	t.Run("Retry-After capped", func(t *testing.T) {
		e.srv.ClearFaults()
		c, _ := e.newClient(WithRetry(RetryPolicy{MaxAttempts: 2, MaxRetryAfter: 50 * time.Millisecond}))
		e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 503, RetryAfter: 30 * time.Second, Times: 1})
		start := time.Now()
		if _, err := c.Execute(ctx, "github", "get_repository", params, WithToken(e.token)); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("waited %v despite the cap", el)
		}
	})
	t.Run("deadline fail-fast", func(t *testing.T) {
		e.srv.ClearFaults()
		e.srv.ResetCalls()
		e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 429, RetryAfter: 10 * time.Second, Times: 1})
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := e.c.Execute(dctx, "github", "get_repository", params, WithToken(e.token), WithMaxAttempts(3))
		var ae *APIError
		if !errors.As(err, &ae) || !IsRateLimited(err) || ae.RetryAfter != 10*time.Second {
			t.Fatalf("err = %v", err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("slept %v into the deadline", el)
		}
		if n := e.srv.Calls("github", "get_repository").Total; n != 1 {
			t.Fatalf("calls = %d", n)
		}
	})
	t.Run("cancel during backoff", func(t *testing.T) {
		e.srv.ClearFaults()
		e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 503, RetryAfter: 10 * time.Second, Times: 1})
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := e.c.Execute(cctx, "github", "get_repository", params, WithToken(e.token), WithMaxAttempts(3))
		if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
	t.Run("cancel mid-request", func(t *testing.T) {
		e.srv.ClearFaults()
		e.srv.ResetCalls()
		// An action (POST). The sandbox only notices a client going away once it has read the request
		// body, which it does after the injected latency, so here only the client side is checked.
		e.srv.Inject("github", "get_repository", sandbox.Fault{Latency: 1500 * time.Millisecond, Times: 1})
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := e.c.Execute(cctx, "github", "get_repository", params, WithToken(e.token), WithMaxAttempts(3))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("returned after %v", el)
		}
		if n := e.srv.Calls("github", "get_repository").Total; n != 1 {
			t.Fatalf("calls = %d, want 1 (no retry after cancel)", n)
		}
		// A bodiless GET: the sandbox sees the cancellation and counts it.
		e.srv.Inject("", "users", sandbox.Fault{Latency: 10 * time.Second, Times: 1})
		cctx, cancel = context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		start = time.Now()
		_, err = e.c.CurrentUser(cctx, WithToken(e.token), WithMaxAttempts(3))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("returned after %v", el)
		}
		var cc sandbox.CallCount
		for range 100 { // the server notices the cancellation asynchronously
			if cc = e.srv.Calls("", "users"); cc.Cancelled == 1 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if cc.Total != 1 || cc.Cancelled != 1 {
			t.Fatalf("calls = %+v, want one cancelled call and no retry", cc)
		}
	})
	t.Run("attempt timeout is retried", func(t *testing.T) {
		e.srv.ClearFaults()
		e.srv.ResetCalls()
		e.srv.Inject("github", "get_repository", sandbox.Fault{Latency: 5 * time.Second, Times: 1})
		_, err := e.c.Execute(ctx, "github", "get_repository", params, WithToken(e.token),
			WithMaxAttempts(2), WithCallTimeout(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if n := e.srv.Calls("github", "get_repository").Total; n != 2 {
			t.Fatalf("calls = %d", n)
		}
	})
}

func TestSandboxErrorPredicates(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := sandbox.NewServer(sandbox.WithClock(clock), sandbox.WithTokenLifetime(time.Hour))
	defer srv.Close()
	c, _ := New(srv.URL, sandbox.DemoAPIKey)
	ctx := context.Background()
	u, err := c.CreateUser(ctx, "eve")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Authenticate(ctx, "eve", u.Secret)
	if err != nil {
		t.Fatal(err)
	}
	other := srv.CreateClient("other-tenant")
	otherC, _ := New(srv.URL, other.APIKey)
	repo := map[string]any{"owner": "acme", "repo": "web"}
	custom := map[string]any{"identifier": "eve-gh", "token": "ghp_x"}

	tests := []struct {
		name string
		call func() error
		pred func(error) bool
		code string
	}{
		{"no integration", func() error {
			_, err := c.Execute(ctx, "github", "get_repository", repo, WithToken(tok.Token))
			return err
		}, IsIntegrationMissing, CodeIntegrationNotFound},
		{"configure", func() error {
			_, err := c.ConfigureIntegration(ctx, "github", custom, WithToken(tok.Token))
			return err
		}, nil, ""},
		{"integration exists", func() error {
			_, err := c.ConfigureIntegration(ctx, "github", custom, WithToken(tok.Token))
			return err
		},
			IsAlreadyExists, CodeIntegrationExists},
		{"unknown integration", func() error {
			_, err := c.Execute(ctx, "github", "get_repository", repo, WithToken(tok.Token), WithIntegration("nobody"))
			return err
		}, IsIntegrationMissing, CodeIntegrationNotFound},
		{"unknown repository", func() error {
			_, err := c.Execute(ctx, "github", "get_repository", map[string]any{"owner": "acme", "repo": "nope"}, WithToken(tok.Token))
			return err
		}, IsNotFound, "NOT_FOUND"},
		{"server-side validation", func() error {
			_, err := c.Execute(ctx, "github", "list_commits", map[string]any{"owner": "acme", "repo": "web", "per_page": 0}, WithToken(tok.Token))
			return err
		}, IsInvalidArgument, "VALIDATION_ERROR"},
		{"no token", func() error { _, err := c.Execute(ctx, "github", "get_repository", repo); return err }, IsUnauthenticated, ""},
		{"bad key", func() error {
			_, err := c.Execute(ctx, "github", "get_repository", repo, WithToken(tok.Token), WithAPIKey("sk-client-wrong"))
			return err
		}, IsUnauthenticated, "INVALID_CLIENT"},
		{"wrong secret", func() error { _, err := c.Authenticate(ctx, "eve", "sk-user-wrong"); return err }, IsUnauthenticated, ""},
		{"token of another client", func() error { _, err := otherC.CurrentUser(ctx, WithToken(tok.Token)); return err },
			IsPermissionDenied, "FORBIDDEN"},
		{"user exists", func() error { _, err := c.CreateUser(ctx, "eve"); return err }, IsAlreadyExists, CodeUserAlreadyExists},
		{"rate limited", func() error {
			srv.Inject("github", "get_repository", sandbox.Fault{Status: 429, Times: 1})
			_, err := c.Execute(ctx, "github", "get_repository", repo, WithToken(tok.Token))
			return err
		}, IsRateLimited, "RATE_LIMITED"},
		{"upstream failure", func() error {
			srv.Inject("github", "get_repository", sandbox.Fault{Status: 502, Times: 1})
			_, err := c.Execute(ctx, "github", "get_repository", repo, WithToken(tok.Token))
			return err
		}, IsUnavailable, ""},
		{"network failure", func() error {
			// A POST: net/http itself retries a bodiless GET once on a dropped reused connection.
			srv.Inject("", "auth", sandbox.Fault{Kind: sandbox.FaultDropConnection, Times: 1})
			_, err := c.Authenticate(ctx, "eve", u.Secret)
			return err
		}, IsUnavailable, ""},
		{"integration not found on get", func() error { _, err := c.GetIntegration(ctx, "github", "nobody", WithToken(tok.Token)); return err },
			IsNotFound, ""},
		{"expired token", func() error {
			mu.Lock()
			now = now.Add(2 * time.Hour)
			mu.Unlock()
			_, err := c.CurrentUser(ctx, WithToken(tok.Token))
			return err
		}, IsUnauthenticated, "TOKEN_EXPIRED"},
	}
	preds := map[string]func(error) bool{
		"IsNotFound": IsNotFound, "IsUnauthenticated": IsUnauthenticated, "IsPermissionDenied": IsPermissionDenied,
		"IsRateLimited": IsRateLimited, "IsInvalidArgument": IsInvalidArgument, "IsAlreadyExists": IsAlreadyExists,
		"IsUnavailable": IsUnavailable,
	}
	// Cases that need eve's integration (stored by "configure" in a full run) store it themselves when
	// run alone.
	needsIntegration := map[string]bool{"integration exists": true, "unknown repository": true, "server-side validation": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if needsIntegration[tt.name] {
				if _, err := c.ConfigureIntegration(ctx, "github", custom, WithToken(tok.Token)); err != nil && !IsAlreadyExists(err) {
					t.Fatal(err)
				}
			}
			err := tt.call()
			if tt.pred == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !tt.pred(err) {
				t.Fatalf("predicate false for %v", err)
			}
			matched := 0
			for _, p := range preds {
				if p(err) {
					matched++
				}
			}
			if matched != 1 {
				t.Errorf("%d categories match %v, want exactly one", matched, err)
			}
			var ae *APIError
			if tt.code != "" && (!errors.As(err, &ae) || ae.Code != tt.code) {
				t.Errorf("code: %v", err)
			}
		})
	}
	if !IsConflict(&APIError{StatusCode: 409}) {
		t.Error("IsConflict")
	}
}

func TestSandboxUsersAndIntegrations(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, _ := New(srv.URL, sandbox.DemoAPIKey)
	ctx := context.Background()
	u, err := c.CreateUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.Identifier != "alice" || !strings.HasPrefix(u.Secret, "sk-user-") || u.ID == "" || !u.IsActive ||
		!strings.HasSuffix(u.Secret, strings.TrimPrefix(u.SecretPreview, "sk-user-...")) {
		t.Fatalf("user: %+v", u)
	}
	tok, err := c.Authenticate(ctx, "alice", u.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.UserID != u.ID || tok.ClientID != u.ClientID || tok.IsRevoked ||
		tok.ExpiresAt.Sub(time.Now()) < 23*time.Hour || tok.ExpiresAt.Location() != time.UTC {
		t.Fatalf("token: %+v", tok)
	}
	withTok := WithToken(tok.Token)
	me, err := c.CurrentUser(ctx, withTok)
	if err != nil || me.ID != u.ID || me.Secret != "" || len(me.Integrations) != 0 {
		t.Fatalf("me: %+v %v", me, err)
	}
	has, err := c.HasIntegration(ctx, "github", withTok)
	if err != nil || has {
		t.Fatalf("has before: %v %v", has, err)
	}
	cb := srv.URL + "/connectors/github/success-authorize-callback"
	for _, login := range []string{"alice-gh", "alice-work", "alice@corp"} {
		raw, err := c.InitiateIntegration(ctx, "github", cb, withTok)
		if err != nil {
			t.Fatal(err)
		}
		if err := followOAuth(raw, login); err != nil {
			t.Fatal(err)
		}
	}
	if has, err = c.HasIntegration(ctx, "github", withTok); err != nil || !has {
		t.Fatalf("has after: %v %v", has, err)
	}
	list, err := c.ListIntegrations(ctx, "github", withTok)
	if err != nil || len(list) != 3 || !list[0].Selected || list[1].Selected {
		t.Fatalf("list: %+v %v", list, err)
	}
	if all, err := c.ListIntegrations(ctx, "", withTok); err != nil || len(all) != 3 {
		t.Fatalf("list all: %v %v", all, err)
	}
	if none, err := c.ListIntegrations(ctx, "google_drive", withTok); err != nil || len(none) != 0 {
		t.Fatalf("list drive: %v %v", none, err)
	}
	// An e-mail uid is path-escaped.
	in, err := c.GetIntegration(ctx, "github", "alice@corp", withTok)
	if err != nil {
		t.Fatal(err)
	}
	if in.UserIdentifier != "alice@corp" || in.Selected || !strings.Contains(in.AuthString, "gho_") ||
		!slices.Equal(in.AuthScopes, []string{"repo", "read:user"}) || in.Raw["auth_string"] == nil {
		t.Fatalf("integration: %+v", in)
	}
	viewer := func(opts ...CallOption) string {
		r, err := c.Execute(ctx, "github", "get_repository", map[string]any{"owner": "acme", "repo": "web"}, append(opts, withTok)...)
		if err != nil {
			t.Fatal(err)
		}
		return r.Data.(map[string]any)["viewer_login"].(string)
	}
	if v := viewer(); v != "alice-gh" {
		t.Fatalf("default integration: %s", v)
	}
	if v := viewer(WithIntegration("alice-work")); v != "alice-work" {
		t.Fatalf("per-call integration: %s", v)
	}
	if err := c.SelectIntegration(ctx, "github", "alice@corp", withTok); err != nil {
		t.Fatal(err)
	}
	if v := viewer(); v != "alice@corp" {
		t.Fatalf("after select: %s", v)
	}
	// Removing the selected one selects the most recently created remaining one.
	if err := c.RemoveIntegration(ctx, "github", "alice@corp", withTok); err != nil {
		t.Fatal(err)
	}
	if v := viewer(); v != "alice-work" {
		t.Fatalf("after remove: %s", v)
	}
	if err := c.RemoveIntegration(ctx, "github", "alice@corp", withTok); !IsNotFound(err) {
		t.Fatalf("remove twice: %v", err)
	}
	if err := c.SelectIntegration(ctx, "github", "nobody", withTok); !IsNotFound(err) {
		t.Fatalf("select unknown: %v", err)
	}
	// Custom configuration.
	out, err := c.ConfigureIntegration(ctx, "github", map[string]any{"identifier": "ci-bot", "token": "ghp_x"}, withTok)
	if err != nil || out["user_identifier"] != "ci-bot" {
		t.Fatalf("configure: %v %v", out, err)
	}
	if _, err := c.ConfigureIntegration(ctx, "google_drive", map[string]any{"identifier": "x"}, withTok); !IsInvalidArgument(err) {
		t.Fatalf("custom on drive: %v", err)
	}
	if _, err := c.InitiateIntegration(ctx, "github", "not a url", withTok); !IsInvalidArgument(err) {
		t.Fatalf("bad callback: %v", err)
	}
}

func TestSandboxConcurrency(t *testing.T) {
	e := newEnv(t, "crowd", WithDiscoveryTTL(time.Hour))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 4 {
			case 0:
				var r *ActionResponse
				r, err = e.c.Run(ctx, "github", "list_pull_requests", map[string]any{"owner": "acme", "repo": "api", "per_page": 30}, WithToken(e.token))
				if err == nil {
					var items []any
					items, err = r.AllItems(ctx)
					// acme/api: PRs 1..64, open when n%4 == 0 or among the 20 newest → 31 open.
					if err == nil && len(items) != 31 {
						err = fmt.Errorf("list_pull_requests: %d open PRs, want 31", len(items))
					}
				}
			case 1:
				_, err = e.c.Connect("github").Action("get_repository").Token(e.token).
					Params(map[string]any{"owner": "acme", "repo": "web"}).Execute(ctx)
			case 2:
				_, err = e.c.Execute(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-1m"}, WithToken(e.token))
			case 3:
				_, err = e.c.CurrentUser(ctx, WithToken(e.token))
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// newEnv's own calls were before ResetCalls; the discovery fetches here: one per connector.
	if n := e.srv.Calls("", "discovery").Total; n != 2 {
		t.Fatalf("discovery fetched %d times for 2 connectors", n)
	}
}

func TestSandboxSecretsNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug})
	e := newEnv(t, "secretive", WithLogger(slog.New(h)))
	ctx := context.Background()
	var errs []error
	record := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 503, Times: 1})
	_, err := e.c.Execute(ctx, "github", "get_repository", map[string]any{"owner": "acme", "repo": "web"}, WithToken(e.token), WithMaxAttempts(2))
	record(err)
	_, err = e.c.Execute(ctx, "github", "get_repository", map[string]any{"owner": "acme", "repo": "nope"}, WithToken(e.token))
	record(err)
	_, err = e.c.Authenticate(ctx, "secretive", e.secret+"x")
	record(err)
	_, err = e.c.CurrentUser(ctx, WithToken(e.token+"x"))
	record(err)
	_, err = e.c.Execute(ctx, "github", "get_repository", map[string]any{"owner": "acme", "repo": "web"}, WithToken(e.token), WithAPIKey("sk-client-wrong-key"))
	record(err)
	_, err = e.c.Execute(ctx, "github", "get_repository", map[string]any{"owner": 1}, WithToken(e.token))
	record(err)
	e.srv.Inject("", "auth", sandbox.Fault{Kind: sandbox.FaultDropConnection, Times: 1})
	_, err = e.c.Authenticate(ctx, "secretive", e.secret)
	record(err)
	u, _ := e.c.CurrentUser(ctx, WithToken(e.token))
	tok, _ := e.c.Authenticate(ctx, "secretive", e.secret)
	slog.New(h).Info("values", "user", User{Identifier: "x", Secret: e.secret}, "token", *tok, "me", *u,
		"integration", Integration{AuthString: "gho_secret_cred"})
	if len(errs) != 6 {
		t.Fatalf("want 6 errors, got %d: %v", len(errs), errs)
	}
	mu.Lock()
	text := logs.String()
	mu.Unlock()
	for _, err := range errs {
		text += "\n" + err.Error() + fmt.Sprintf(" %v %+v", err, err)
	}
	if !strings.Contains(text, "bosa request") || !strings.Contains(text, "bosa retry") {
		t.Fatalf("expected request logs:\n%s", text)
	}
	for name, secret := range map[string]string{"api key": sandbox.DemoAPIKey, "wrong api key": "sk-client-wrong-key",
		"user secret": e.secret, "token": e.token, "token part": e.token[len(e.token)-20:], "integration credential": "gho_secret_cred"} {
		if strings.Contains(text, secret) {
			t.Errorf("%s leaked:\n%s", name, text)
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSandboxNonJSONRunAndTrailingSlash(t *testing.T) {
	e := newEnv(t, "runner")
	c, _ := New(e.srv.URL+"//", sandbox.DemoAPIKey, WithHTTPClient(&http.Client{Transport: e.transport}))
	ctx := context.Background()
	if _, err := c.Run(ctx, "google_drive", "download_file", map[string]any{"file_id": "f-1k"}, WithToken(e.token)); !errors.Is(err, ErrNotJSON) {
		t.Fatalf("Run on a download: %v", err)
	}
	r, err := c.Connect("google_drive").Action("download_file").Token(e.token).Param("file_id", "f-1k").Timeout(5 * time.Second).Execute(ctx)
	if err != nil || len(r.File.Data) != 1024 || r.Status != 200 || r.Connector() != "google_drive" || r.Action() != "download_file" {
		t.Fatalf("Execute on a download: %v", err)
	}
	// A builder is immutable: deriving calls does not change the base.
	base := c.Connect("github").Action("list_commits").Token(e.token).Params(map[string]any{"owner": "acme", "repo": "web"})
	_ = base.Param("per_page", 1).Headers(map[string]string{"X-A": "1"}).Identifier("x").APIKey("y")
	res, err := base.Run(ctx)
	if err != nil || len(res.Items()) != 30 {
		t.Fatalf("base builder changed: %v", err)
	}
	if names, err := c.Connect("github").Actions(ctx); err != nil || len(names) != 4 || c.Connect("github").Name() != "github" {
		t.Fatalf("Actions: %v", err)
	}
}

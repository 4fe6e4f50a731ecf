package bosaclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"bosa.dev/gateway/bosaclient"
	"bosa.dev/gateway/sandbox"
	"bosa.dev/gateway/shape"
)

// signUp creates a user, gets a token and connects a GitHub and a Google Drive account through the
// sandbox's OAuth2 consent page. The examples below use it to get a user token.
func signUp(ctx context.Context, c *bosaclient.Client, baseURL, identifier string) (token string) {
	user, err := c.CreateUser(ctx, identifier)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.Authenticate(ctx, identifier, user.Secret)
	if err != nil {
		log.Fatal(err)
	}
	for _, connector := range []string{"github", "google_drive"} {
		callback := baseURL + "/connectors/" + connector + "/success-authorize-callback"
		authURL, err := c.InitiateIntegration(ctx, connector, callback, bosaclient.WithToken(tok.Token))
		if err != nil {
			log.Fatal(err)
		}
		resp, err := http.Get(authURL) // the user's browser: consent, then back to callback
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	return tok.Token
}

// Initialization: a client for one server and client API key, then discovery.
func Example() {
	srv := sandbox.NewServer() // a local BOSA API; use the real base URL and key in production
	defer srv.Close()

	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey,
		bosaclient.WithTimeout(30*time.Second),
		bosaclient.WithRetry(bosaclient.RetryPolicy{MaxAttempts: 3}),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	names, err := c.ConnectorNames(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("connectors:", names)

	github, err := c.Connector(ctx, "github")
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range github.Actions {
		fmt.Printf("%s: %s\n", a.Name, a.Summary)
	}
	params, err := c.ActionParameters(ctx, "github", "list_pull_requests")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range params {
		if p.Required {
			fmt.Println("required:", p.Name, p.Type)
		}
	}
	// Output:
	// connectors: [github google_drive]
	// get_repository: Get one repository.
	// list_collaborators: List collaborators of a repository.
	// list_commits: List commits of a repository's default branch, newest first.
	// list_pull_requests: List pull requests of a repository, newest first.
	// required: owner string
	// required: repo string
}

// Authentication: the client key goes with every call; a user token and an integration are per call.
func Example_authentication() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	token := signUp(ctx, c, srv.URL, "alice")

	repo := map[string]any{"owner": "acme", "repo": "web"}
	r, err := c.Execute(ctx, "github", "get_repository", repo,
		bosaclient.WithToken(token),            // Authorization: Bearer <token>
		bosaclient.WithIntegration("alice-gh"), // X-Bosa-Integration / X-Integration
		bosaclient.WithHeaders(map[string]string{"X-Request-Id": "req-1"}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ran as:", r.Data.(map[string]any)["viewer_login"])

	// Without a token a user-scoped action fails with a typed error.
	_, err = c.Execute(ctx, "github", "get_repository", repo)
	fmt.Println("unauthenticated:", bosaclient.IsUnauthenticated(err))

	// Another client's key for one call (the gateway passes its callers' keys this way).
	_, err = c.Execute(ctx, "github", "get_repository", repo,
		bosaclient.WithToken(token), bosaclient.WithAPIKey("sk-client-unknown"))
	var apiErr *bosaclient.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	// Output:
	// ran as: alice-gh
	// unauthenticated: true
	// 401 INVALID_CLIENT Client not found
}

// Direct execution: connector, action, parameters; the answer's data, meta and status.
func ExampleClient_Execute() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	token := signUp(ctx, c, srv.URL, "alice")

	params := map[string]any{"owner": "acme", "repo": "web", "state": "open", "per_page": 3}
	r, err := c.Execute(ctx, "github", "list_pull_requests", params, bosaclient.WithToken(token))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", r.Status)
	for _, pr := range r.Items() {
		fmt.Println("#", pr.(map[string]any)["number"])
	}
	fmt.Println("page", r.Meta["page"], "of", r.Meta["total_page"])

	// Invalid parameters are rejected before any request is sent, with every violation listed.
	_, err = c.Execute(ctx, "github", "list_pull_requests", map[string]any{"owner": "acme", "per_pag": 3},
		bosaclient.WithToken(token))
	var verr *bosaclient.ValidationError
	if errors.As(err, &verr) {
		for _, v := range verr.Violations() {
			fmt.Println("invalid:", v.Field)
		}
	}
	// Output:
	// status: 200
	// # 237
	// # 236
	// # 235
	// page 1 of 25
	// invalid: repo
	// invalid: per_pag
}

// Fluent interface with paging forward and back.
func ExampleClient_Connect() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	token := signUp(ctx, c, srv.URL, "alice")

	github := c.Connect("github")
	resp, err := github.Action("list_pull_requests").
		Params(map[string]any{"owner": "acme", "repo": "api"}).
		Params(map[string]any{"state": "all", "per_page": 25}). // Params and Headers merge
		MaxAttempts(3).
		Token(token).
		Timeout(10 * time.Second).
		Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("page", resp.Meta["page"], "items", len(resp.Items()))
	for resp.HasNext() {
		if resp, err = resp.NextPage(ctx); err != nil {
			log.Fatal(err)
		}
		fmt.Println("page", resp.Meta["page"], "items", len(resp.Items()))
	}
	for resp.HasPrev() {
		if resp, err = resp.PrevPage(ctx); err != nil {
			log.Fatal(err)
		}
		fmt.Println("back to page", resp.Meta["page"])
	}

	// Cursor paging with the Go iterator; filters and fields shape each page on the server.
	commits := github.Action("list_commits").
		Params(map[string]any{"owner": "acme", "repo": "api", "per_page": 50}).
		Token(token).
		Filters(shape.String("author.name", "alice")).
		Fields("sha", "author.name")
	first, err := commits.Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	pages, byAlice := 0, 0
	for page, err := range first.Pages(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		pages++
		byAlice += len(page.Items())
	}
	fmt.Println("commit pages:", pages, "by alice:", byAlice)
	// Output:
	// page 1 items 25
	// page 2 items 25
	// page 3 items 14
	// back to page 2
	// back to page 1
	// commit pages: 3 by alice: 6
}

// Run returns an ActionResponse for JSON answers; AllItems gathers every page.
func ExampleClient_Run() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey, bosaclient.WithMaxPages(100))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	token := signUp(ctx, c, srv.URL, "alice")

	resp, err := c.Run(ctx, "google_drive", "list_files",
		map[string]any{"folder_id": "fld-samples"}, bosaclient.WithToken(token))
	if err != nil {
		log.Fatal(err)
	}
	files, err := resp.AllItems(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.(map[string]any)["name"])
	}
	// The complete parameters of the next request (what a page token encodes).
	next, ok := resp.NextParams()
	fmt.Println("next page:", next, ok)
	// Output:
	// empty.txt
	// hello.txt
	// sample-1KiB.bin
	// sample-1MiB.bin
	// sample-20MiB.bin
	// résumé 2025 – final.pdf
	// next page: map[] false
}

// Files: upload with a File parameter (multipart), download as a File.
func ExampleFile() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	token := signUp(ctx, c, srv.URL, "alice")
	drive := c.Connect("google_drive")

	report := bosaclient.NewFile("q3-report.pdf", "application/pdf", []byte("%PDF-1.7 ..."))
	up, err := drive.Action("upload_file").
		Params(map[string]any{"file": report, "folder_id": "fld-reports"}).
		Token(token).
		Execute(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var uploaded struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Size int    `json:"size"`
	}
	if err := up.Decode(&uploaded); err != nil {
		log.Fatal(err)
	}
	fmt.Println("uploaded:", uploaded.Name, uploaded.Size, "bytes")

	down, err := drive.Action("download_file").Param("file_id", uploaded.ID).Token(token).Execute(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("downloaded: %s %s %q\n", down.File.Filename, down.File.ContentType, down.File.Data)

	// Non-ASCII names arrive in filename* (RFC 5987).
	down, err = drive.Action("download_file").Param("file_id", "f-utf8").Token(token).Execute(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("downloaded:", down.File.Filename, len(down.File.Data), "bytes")
	// Output:
	// uploaded: q3-report.pdf 12 bytes
	// downloaded: q3-report.pdf application/pdf "%PDF-1.7 ..."
	// downloaded: résumé 2025 – final.pdf 4096 bytes
}

// Streamed files: Upload reads a File's Body while sending it, Download hands out the body unread,
// so neither holds the file in memory.
func ExampleClient_Download() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	token := signUp(ctx, c, srv.URL, "alice")

	// Any io.Reader: an *os.File, a pipe, a network stream. Sent once, never retried.
	body := strings.NewReader(strings.Repeat("0123456789", 100_000))
	up, err := c.Upload(ctx, "google_drive", "upload_file", map[string]any{"folder_id": "fld-reports"},
		[]bosaclient.FileParam{{Parameter: "file", File: bosaclient.File{Filename: "big.txt", ContentType: "text/plain", Body: body}}},
		bosaclient.WithToken(token))
	if err != nil {
		log.Fatal(err)
	}
	var uploaded struct {
		ID   string `json:"id"`
		Size int    `json:"size"`
	}
	if err := up.Decode(&uploaded); err != nil {
		log.Fatal(err)
	}
	fmt.Println("uploaded:", uploaded.Size, "bytes")

	d, err := c.Download(ctx, "google_drive", "download_file", map[string]any{"file_id": uploaded.ID}, bosaclient.WithToken(token))
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	n, err := io.Copy(io.Discard, d) // or an *os.File
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("downloaded:", d.Filename, d.ContentType, d.Size, n)

	// An action that answers JSON is not a file.
	_, err = c.Download(ctx, "google_drive", "list_files", nil, bosaclient.WithToken(token))
	fmt.Println(errors.Is(err, bosaclient.ErrNotFile))
	// Output:
	// uploaded: 1000000 bytes
	// downloaded: big.txt text/plain 1000000 1000000
	// true
}

// User authentication: create a user (the secret is shown once), get a token, read the user.
func ExampleClient_Authenticate() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	user, err := c.CreateUser(ctx, "bob")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", user.Identifier) // store user.Secret safely: it is never shown again

	token, err := c.Authenticate(ctx, "bob", user.Secret)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token type:", token.TokenType, "expires in about", token.ExpiresAt.Sub(time.Now()).Round(time.Hour))

	me, err := c.CurrentUser(ctx, bosaclient.WithToken(token.Token))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("me:", me.Identifier, "integrations:", len(me.Integrations))

	_, err = c.CreateUser(ctx, "bob")
	fmt.Println("again:", bosaclient.IsAlreadyExists(err))
	_, err = c.Authenticate(ctx, "bob", "sk-user-wrong")
	fmt.Println("wrong secret:", bosaclient.IsUnauthenticated(err))
	// Output:
	// created: bob
	// token type: Bearer expires in about 24h0m0s
	// me: bob integrations: 0
	// again: true
	// wrong secret: true
}

// Integration management: OAuth2 and custom integrations, listing, selecting, removing.
func ExampleClient_InitiateIntegration() {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := bosaclient.New(srv.URL, sandbox.DemoAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	user, err := c.CreateUser(ctx, "carol")
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.Authenticate(ctx, "carol", user.Secret)
	if err != nil {
		log.Fatal(err)
	}
	asCarol := bosaclient.WithToken(tok.Token)

	has, err := c.HasIntegration(ctx, "github", asCarol)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("has github:", has)

	// OAuth2: send the user's browser to the URL; the server redirects to the callback when done.
	authURL, err := c.InitiateIntegration(ctx, "github", srv.URL+"/connectors/github/success-authorize-callback", asCarol)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Get(authURL) // stands in for the browser
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	// Custom configuration (credentials the user types in).
	if _, err := c.ConfigureIntegration(ctx, "github", map[string]any{"identifier": "carol-bot", "token": "ghp_example"}, asCarol); err != nil {
		log.Fatal(err)
	}

	list, err := c.ListIntegrations(ctx, "github", asCarol)
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range list {
		fmt.Println("integration:", in.UserIdentifier, "selected:", in.Selected)
	}

	if err := c.SelectIntegration(ctx, "github", "carol-bot", asCarol); err != nil {
		log.Fatal(err)
	}
	in, err := c.GetIntegration(ctx, "github", "carol-bot", asCarol)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("selected now:", in.UserIdentifier, in.Selected)

	if err := c.RemoveIntegration(ctx, "github", "carol-bot", asCarol); err != nil {
		log.Fatal(err)
	}
	err = c.RemoveIntegration(ctx, "github", "carol-bot", asCarol)
	fmt.Println("removed twice, not found:", bosaclient.IsNotFound(err))
	// Output:
	// has github: false
	// integration: carol-gh selected: true
	// integration: carol-bot selected: false
	// selected now: carol-bot true
	// removed twice, not found: true
}

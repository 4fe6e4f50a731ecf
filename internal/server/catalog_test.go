package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

func init() {
	for m, r := range map[string]restRoute{
		"/bosa.v1.CatalogService/ListCatalogTools":      {"GET", "/v1/catalog/tools", false},
		"/bosa.v1.CatalogService/ListCatalogMcpServers": {"GET", "/v1/catalog/mcpServers", false},
		"/bosa.v1.CatalogService/ListCatalogSkills":     {"GET", "/v1/catalog/skills", false},
		"/bosa.v1.CatalogService/SearchCatalog":         {"GET", "/v1/catalog:search", false},
		"/bosa.v1.SkillService/ListSkills":              {"GET", "/v1/skills", false},
		"/bosa.v1.SkillService/GetSkill":                {"GET", "/v1/skills/{skill_id}", false},
	} {
		restRoutes[m] = r
	}
}

// faces runs f over gRPC and over REST against one gateway.
func faces(t *testing.T, e *env, f func(t *testing.T, tr transport)) {
	for _, face := range []string{"grpc", "rest"} {
		t.Run(face, func(t *testing.T) {
			var tr transport = grpcTransport{conn: e.conn}
			if face == "rest" {
				tr = restTransport{base: e.httpBase, hc: &http.Client{}}
			}
			f(t, tr)
		})
	}
}

// TestCatalogService: the catalog's lists page with page_size/page_token and filters, public (no
// credentials); search needs a token and degrades to empty groups; over gRPC and REST.
func TestCatalogService(t *testing.T) {
	e := startEnv(t)
	md, _ := githubUser(t, e.conn, "cataloguer")
	ctx := context.Background()
	faces(t, e, func(t *testing.T, tr transport) {
		var all []*bosav1.CatalogTool
		req := &bosav1.ListCatalogToolsRequest{PageSize: 3}
		for range 10 {
			var page bosav1.ListCatalogToolsResponse
			if err := tr.call(ctx, nil, "/bosa.v1.CatalogService/ListCatalogTools", req, &page); err != nil {
				t.Fatal(err)
			}
			all = append(all, page.GetTools()...)
			if page.GetNextPageToken() == "" {
				if int(page.GetTotalSize()) != len(all) {
					t.Fatalf("total_size %d, %d tools read", page.GetTotalSize(), len(all))
				}
				break
			}
			req = &bosav1.ListCatalogToolsRequest{PageSize: 3, PageToken: page.GetNextPageToken()}
		}
		names := map[string]bool{}
		for _, tl := range all {
			names[tl.GetName()] = true
		}
		if len(all) < 5 || !names["github_list_pull_requests_tool"] || !names["google_drive_download_file_tool"] {
			t.Fatalf("tools %v", names)
		}

		var gh bosav1.ListCatalogToolsResponse
		if err := tr.call(ctx, nil, "/bosa.v1.CatalogService/ListCatalogTools",
			&bosav1.ListCatalogToolsRequest{Connector: "github", PageSize: 1}, &gh); err != nil {
			t.Fatal(err)
		}
		if len(gh.GetTools()) != 1 || gh.GetTools()[0].GetConnector() != "github" || gh.GetNextPageToken() == "" {
			t.Fatalf("github page %v", gh.String())
		}
		// A token carries its filters: with others it is refused.
		err := tr.call(ctx, nil, "/bosa.v1.CatalogService/ListCatalogTools",
			&bosav1.ListCatalogToolsRequest{Connector: "google_drive", PageToken: gh.GetNextPageToken()}, &bosav1.ListCatalogToolsResponse{})
		wantStatus(t, err, codes.InvalidArgument, "INVALID_PAGE_TOKEN")
		err = tr.call(ctx, nil, "/bosa.v1.CatalogService/ListCatalogTools", &bosav1.ListCatalogToolsRequest{PageSize: -1}, &bosav1.ListCatalogToolsResponse{})
		wantStatus(t, err, codes.InvalidArgument, "INVALID_REQUEST")

		var mcps bosav1.ListCatalogMcpServersResponse
		if err := tr.call(ctx, nil, "/bosa.v1.CatalogService/ListCatalogMcpServers",
			&bosav1.ListCatalogMcpServersRequest{Category: "storage"}, &mcps); err != nil {
			t.Fatal(err)
		}
		if len(mcps.GetMcpServers()) != 1 || mcps.GetMcpServers()[0].GetName() != "google_drive" ||
			!strings.HasSuffix(mcps.GetMcpServers()[0].GetConfig().GetUrl(), "/google_drive/mcp") {
			t.Fatalf("mcp servers %v", mcps.String())
		}
		var skills bosav1.ListCatalogSkillsResponse
		if err := tr.call(ctx, nil, "/bosa.v1.CatalogService/ListCatalogSkills",
			&bosav1.ListCatalogSkillsRequest{Source: "openclaw"}, &skills); err != nil {
			t.Fatal(err)
		}
		if len(skills.GetSkills()) == 0 || skills.GetSkills()[0].GetSource() != "openclaw" {
			t.Fatalf("skills %v", skills.String())
		}
		err = tr.call(ctx, nil, "/bosa.v1.CatalogService/ListCatalogSkills", &bosav1.ListCatalogSkillsRequest{Source: "npm"}, &bosav1.ListCatalogSkillsResponse{})
		wantStatus(t, err, codes.InvalidArgument, "INVALID_REQUEST")

		var found bosav1.SearchCatalogResponse
		if err := tr.call(ctx, md, "/bosa.v1.CatalogService/SearchCatalog", &bosav1.SearchCatalogRequest{Query: "pull requests"}, &found); err != nil {
			t.Fatal(err)
		}
		if found.GetBackend() == nil || len(found.GetTools()) == 0 || found.GetTools()[0].Score == nil {
			t.Fatalf("search %v", found.String())
		}
		err = tr.call(ctx, nil, "/bosa.v1.CatalogService/SearchCatalog", &bosav1.SearchCatalogRequest{Query: "pull"}, &bosav1.SearchCatalogResponse{})
		wantStatus(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
		err = tr.call(ctx, md, "/bosa.v1.CatalogService/SearchCatalog", &bosav1.SearchCatalogRequest{Query: " "}, &bosav1.SearchCatalogResponse{})
		wantStatus(t, err, codes.InvalidArgument, "INVALID_REQUEST")
		e.sb.SetSearchEnabled(false)
		defer e.sb.SetSearchEnabled(true)
		found.Reset()
		if err := tr.call(ctx, md, "/bosa.v1.CatalogService/SearchCatalog", &bosav1.SearchCatalogRequest{Query: "pull"}, &found); err != nil {
			t.Fatalf("degraded search: %v", err)
		}
		if found.GetBackend() != nil || len(found.GetTools())+len(found.GetMcpServers())+len(found.GetSkills()) != 0 {
			t.Fatalf("degraded search %v", found.String())
		}
	})
	// Search groups over gRPC (REST takes the enum names in the query).
	var found bosav1.SearchCatalogResponse
	if err := (grpcTransport{conn: e.conn}).call(ctx, md, "/bosa.v1.CatalogService/SearchCatalog", &bosav1.SearchCatalogRequest{
		Query: "drive", Kinds: []bosav1.CatalogKind{bosav1.CatalogKind_CATALOG_KIND_MCP_SERVERS}, Count: 1}, &found); err != nil {
		t.Fatal(err)
	}
	if len(found.GetMcpServers()) != 1 || len(found.GetTools()) != 0 || len(found.GetSkills()) != 0 {
		t.Fatalf("kinds: %v", found.String())
	}
	hr := restGet(t, e, md, "/v1/catalog:search?query=drive&kinds=CATALOG_KIND_TOOLS&count=1")
	var rest struct {
		Tools      []any `json:"tools"`
		McpServers []any `json:"mcpServers"`
	}
	if err := json.Unmarshal(hr, &rest); err != nil || len(rest.Tools) != 1 || len(rest.McpServers) != 0 {
		t.Fatalf("REST kinds: %s", hr)
	}
}

// restGet GETs path with md as headers and returns the 200 body.
func restGet(t *testing.T, e *env, md metadata.MD, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.httpBase+path, nil)
	for k, vs := range md {
		req.Header.Set(k, vs[0])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return b
}

// TestSkillService: the tenant's skills with a token alone, paged; GetSkill returns the download URL and
// checksum, and the verified artifact only when asked; refused artifacts have their own reasons.
func TestSkillService(t *testing.T) {
	e := startEnv(t)
	md, _ := githubUser(t, e.conn, "skiller")
	ctx := context.Background()
	faces(t, e, func(t *testing.T, tr transport) {
		var all []*bosav1.Skill
		req := &bosav1.ListSkillsRequest{PageSize: 2}
		for range 5 {
			var page bosav1.ListSkillsResponse
			if err := tr.call(ctx, md, "/bosa.v1.SkillService/ListSkills", req, &page); err != nil {
				t.Fatal(err)
			}
			all = append(all, page.GetSkills()...)
			if page.GetNextPageToken() == "" {
				break
			}
			req = &bosav1.ListSkillsRequest{PageSize: 2, PageToken: page.GetNextPageToken()}
		}
		if len(all) != 5 || all[0].GetCreateTime() == nil {
			t.Fatalf("%d skills: %v", len(all), all)
		}
		for _, s := range all {
			var d bosav1.Skill
			if err := tr.call(ctx, md, "/bosa.v1.SkillService/GetSkill", &bosav1.GetSkillRequest{SkillId: s.GetId()}, &d); err != nil {
				t.Fatal(err)
			}
			pending := s.GetName() == "dependency-audit"
			if d.GetName() != s.GetName() || len(d.GetContent()) != 0 || (d.GetDownloadUri() == "") != pending ||
				(d.GetContentSha256() == "") != pending || d.GetFrontmatter().GetFields()["name"].GetStringValue() != s.GetName() {
				t.Fatalf("GetSkill %v", d.String())
			}
		}
		err := tr.call(ctx, md, "/bosa.v1.SkillService/GetSkill", &bosav1.GetSkillRequest{SkillId: "00000000-0000-4000-8000-000000000000"}, &bosav1.Skill{})
		wantStatus(t, err, codes.NotFound, "NOT_FOUND")
		err = tr.call(ctx, nil, "/bosa.v1.SkillService/ListSkills", &bosav1.ListSkillsRequest{}, &bosav1.ListSkillsResponse{})
		wantStatus(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
	})

	grpcSkill := func(id string, view bosav1.SkillView) (*bosav1.Skill, error) {
		return bosav1.NewSkillServiceClient(e.conn).GetSkill(metadata.NewOutgoingContext(ctx, md), &bosav1.GetSkillRequest{SkillId: id, View: view})
	}
	var list bosav1.ListSkillsResponse
	if err := (grpcTransport{conn: e.conn}).call(ctx, md, "/bosa.v1.SkillService/ListSkills", &bosav1.ListSkillsRequest{}, &list); err != nil {
		t.Fatal(err)
	}
	for _, s := range list.GetSkills() {
		d, err := grpcSkill(s.GetId(), bosav1.SkillView_SKILL_VIEW_CONTENT)
		if s.GetName() == "dependency-audit" {
			wantStatus(t, err, codes.FailedPrecondition, "SKILL_NOT_DOWNLOADABLE")
			continue
		}
		isZip := s.GetSourceType() == "upload_zip" || s.GetSourceType() == "github"
		if err != nil {
			t.Fatal(err)
		}
		if sum, _ := sandbox.SkillChecksum(d.GetContent(), isZip); sum != d.GetContentSha256() {
			t.Fatalf("%s: content hashes to %s, checksum %s", s.GetName(), sum, d.GetContentSha256())
		}
		if s.GetSourceType() == "manual" {
			b := restGet(t, e, md, "/v1/skills/"+url.PathEscape(s.GetId())+"?view=SKILL_VIEW_CONTENT")
			var rest struct{ Content string }
			if json.Unmarshal(b, &rest) != nil {
				t.Fatalf("REST content: %s", b)
			}
			if c, _ := base64.StdEncoding.DecodeString(rest.Content); string(c) != string(d.GetContent()) {
				t.Fatalf("REST content differs: %s", b)
			}
		}
	}
	wrong := strings.Repeat("0", 64)
	for _, tc := range []struct {
		sk     sandbox.Skill
		code   codes.Code
		reason string
	}{
		{sandbox.Skill{Name: "wrong-sum", SourceType: "manual", Files: map[string][]byte{"SKILL.md": []byte("# x\n")}, ContentSHA256: &wrong},
			codes.DataLoss, "SKILL_CHECKSUM_MISMATCH"},
		{sandbox.Skill{Name: "not-a-zip", SourceType: "upload_zip", Archive: []byte("not a zip")}, codes.FailedPrecondition, "SKILL_ARCHIVE_UNSAFE"},
	} {
		id, err := e.sb.AddSkill(sandbox.DemoAPIKey, tc.sk)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := grpcSkill(id, bosav1.SkillView_SKILL_VIEW_BASIC); err != nil {
			t.Fatalf("%s basic view: %v", tc.sk.Name, err)
		}
		_, err = grpcSkill(id, bosav1.SkillView_SKILL_VIEW_CONTENT)
		wantStatus(t, err, tc.code, tc.reason)
	}
}

// TestReplaceDuplicate: InitiateIntegration and ConfigureIntegration take replace_duplicate.
func TestReplaceDuplicate(t *testing.T) {
	e := startEnv(t)
	md, _ := githubUser(t, e.conn, "replacer")
	ctx := metadata.NewOutgoingContext(context.Background(), md)
	integ := bosav1.NewIntegrationServiceClient(e.conn)
	cfg := func(tok string) *structpb.Struct {
		return mustStruct(map[string]any{"identifier": "bot", "token": tok})
	}
	if _, err := integ.ConfigureIntegration(ctx, &bosav1.ConfigureIntegrationRequest{Connector: "github", Configuration: cfg("ghp_one")}); err != nil {
		t.Fatal(err)
	}
	_, err := integ.ConfigureIntegration(ctx, &bosav1.ConfigureIntegrationRequest{Connector: "github", Configuration: cfg("ghp_two")})
	wantStatus(t, err, codes.AlreadyExists, "ALREADY_EXISTS")
	if _, err := integ.ConfigureIntegration(ctx, &bosav1.ConfigureIntegrationRequest{Connector: "github", Configuration: cfg("ghp_two"),
		ReplaceDuplicate: true}); err != nil {
		t.Fatalf("replace: %v", err)
	}
	// githubUser linked the default account; linking it again with replace_duplicate succeeds.
	resp, err := integ.InitiateIntegration(ctx, &bosav1.InitiateIntegrationRequest{Connector: "github",
		CallbackUrl: e.upstream.URL + "/connectors/github/success-authorize-callback", ReplaceDuplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(resp.GetUrl())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("OAuth2 replace: %d %s", res.StatusCode, b)
	}
}

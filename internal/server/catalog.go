package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// catalogService implements bosav1.CatalogServiceServer over BOSA's public catalog
// (docs/protocol.md §17.5). Its lists are public upstream: no credentials are needed or sent.
type catalogService struct {
	bosav1.UnimplementedCatalogServiceServer
	*services
}

// skillService implements bosav1.SkillServiceServer over BOSA's tenant skills: the user token alone
// names the tenant.
type skillService struct {
	bosav1.UnimplementedSkillServiceServer
	*services
}

// ListCatalogTools lists one page of the catalog's tools.
func (s *catalogService) ListCatalogTools(ctx context.Context, req *bosav1.ListCatalogToolsRequest) (*bosav1.ListCatalogToolsResponse, error) {
	q := bosaclient.CatalogQuery{Q: req.GetQuery(), Connector: req.GetConnector(), Category: req.GetCategory()}
	out := &bosav1.ListCatalogToolsResponse{}
	err := catalogPage(ctx, s, "bosa.v1.ListCatalogTools", filterKey(q.Q, q.Connector, q.Category), req, q,
		s.client.CatalogTools, func(t bosaclient.CatalogTool) { out.Tools = append(out.Tools, catalogToolProto(t)) },
		&out.TotalSize, &out.NextPageToken)
	return out, err
}

// ListCatalogMcpServers lists one page of the connectors offered as MCP servers.
func (s *catalogService) ListCatalogMcpServers(ctx context.Context, req *bosav1.ListCatalogMcpServersRequest) (*bosav1.ListCatalogMcpServersResponse, error) {
	q := bosaclient.CatalogQuery{Q: req.GetQuery(), Category: req.GetCategory()}
	out := &bosav1.ListCatalogMcpServersResponse{}
	err := catalogPage(ctx, s, "bosa.v1.ListCatalogMcpServers", filterKey(q.Q, q.Category), req, q,
		s.client.CatalogMCPs, func(m bosaclient.CatalogMCP) { out.McpServers = append(out.McpServers, catalogMCPProto(m)) },
		&out.TotalSize, &out.NextPageToken)
	return out, err
}

// ListCatalogSkills lists one page of the curated skills.
func (s *catalogService) ListCatalogSkills(ctx context.Context, req *bosav1.ListCatalogSkillsRequest) (*bosav1.ListCatalogSkillsResponse, error) {
	if src := req.GetSource(); src != "" && src != "agent" && src != "openclaw" {
		return nil, toStatus(invalidRequest("source", `must be "agent" or "openclaw"`))
	}
	q := bosaclient.CatalogQuery{Q: req.GetQuery(), Source: req.GetSource()}
	out := &bosav1.ListCatalogSkillsResponse{}
	err := catalogPage(ctx, s, "bosa.v1.ListCatalogSkills", filterKey(q.Q, q.Source), req, q,
		s.client.CatalogSkills, func(sk bosaclient.CatalogSkill) { out.Skills = append(out.Skills, catalogSkillProto(sk)) },
		&out.TotalSize, &out.NextPageToken)
	return out, err
}

// pageRequest is what the catalog's List requests share.
type pageRequest interface {
	GetPageSize() int32
	GetPageToken() string
}

// catalogPage runs one catalog List call: the page token to an offset, the upstream list, each item
// through add, and the total and next page token into the response.
func catalogPage[T any](ctx context.Context, s *catalogService, method, filter string, req pageRequest, q bosaclient.CatalogQuery,
	list func(context.Context, bosaclient.CatalogQuery, ...bosaclient.CallOption) (*bosaclient.CatalogList[T], error),
	add func(T), totalSize *int32, next *string) error {
	off, limit, err := s.tokens.offsetPage(method, filter, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return toStatus(err)
	}
	opts, err := s.callOptions(ctx, false)
	if err != nil {
		return toStatus(err)
	}
	q.Limit, q.Offset = limit, off
	page, err := list(ctx, q, opts...)
	if err != nil {
		return toStatus(err)
	}
	for _, it := range page.Items {
		add(it)
	}
	*totalSize = int32(total(page.Meta))
	*next, err = s.tokens.nextOffset(method, filter, off, limit, len(page.Items), total(page.Meta))
	return toStatus(err)
}

// catalogKinds are the upstream names of the search groups.
var catalogKinds = map[bosav1.CatalogKind]string{
	bosav1.CatalogKind_CATALOG_KIND_TOOLS:       "tools",
	bosav1.CatalogKind_CATALOG_KIND_MCP_SERVERS: "mcp",
	bosav1.CatalogKind_CATALOG_KIND_SKILLS:      "skills",
}

// SearchCatalog searches the catalog; it needs a user token.
func (s *catalogService) SearchCatalog(ctx context.Context, req *bosav1.SearchCatalogRequest) (*bosav1.SearchCatalogResponse, error) {
	if strings.TrimSpace(req.GetQuery()) == "" {
		return nil, toStatus(invalidRequest("query", "is required"))
	}
	if req.GetCount() < 0 {
		return nil, toStatus(invalidRequest("count", "must not be negative"))
	}
	q := bosaclient.SearchQuery{Q: req.GetQuery(), Count: int(req.GetCount())}
	for i, k := range req.GetKinds() {
		name, ok := catalogKinds[k]
		if !ok {
			return nil, toStatus(invalidRequest("kinds["+strconv.Itoa(i)+"]", "must be CATALOG_KIND_TOOLS, CATALOG_KIND_MCP_SERVERS or CATALOG_KIND_SKILLS"))
		}
		q.Kinds = append(q.Kinds, name)
	}
	opts, err := s.callOptions(ctx, false)
	if err != nil {
		return nil, toStatus(err)
	}
	found, err := s.client.SearchCatalog(ctx, q, opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &bosav1.SearchCatalogResponse{Query: found.Query}
	if b := found.Backend; b != nil {
		out.Backend = &bosav1.SearchBackend{Provider: b.Provider, Model: b.Model, Dimension: int32(b.Dimension)}
	}
	for _, t := range found.Tools {
		out.Tools = append(out.Tools, catalogToolProto(t))
	}
	for _, m := range found.MCP {
		out.McpServers = append(out.McpServers, catalogMCPProto(m))
	}
	for _, sk := range found.Skills {
		out.Skills = append(out.Skills, catalogSkillProto(sk))
	}
	return out, nil
}

// ListSkills lists one page of the tenant's skills.
func (s *skillService) ListSkills(ctx context.Context, req *bosav1.ListSkillsRequest) (*bosav1.ListSkillsResponse, error) {
	const method = "bosa.v1.ListSkills"
	off, limit, err := s.tokens.offsetPage(method, "", req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(err)
	}
	opts, err := s.callOptions(ctx, false)
	if err != nil {
		return nil, toStatus(err)
	}
	list, err := s.client.TenantSkills(ctx, limit, off, opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &bosav1.ListSkillsResponse{}
	for _, sk := range list.Items {
		out.Skills = append(out.Skills, skillProto(&bosaclient.SkillDetail{SkillSummary: sk}))
	}
	n := -1 // the upstream promises no total
	if m := list.Meta; m != nil && m.Total != nil {
		n = *m.Total
	}
	out.NextPageToken, err = s.tokens.nextOffset(method, "", off, limit, len(list.Items), n)
	return out, toStatus(err)
}

// GetSkill returns one skill; with SKILL_VIEW_CONTENT also its verified artifact.
func (s *skillService) GetSkill(ctx context.Context, req *bosav1.GetSkillRequest) (*bosav1.Skill, error) {
	if req.GetSkillId() == "" {
		return nil, toStatus(invalidRequest("skill_id", "is required"))
	}
	switch req.GetView() {
	case bosav1.SkillView_SKILL_VIEW_UNSPECIFIED, bosav1.SkillView_SKILL_VIEW_BASIC, bosav1.SkillView_SKILL_VIEW_CONTENT:
	default:
		return nil, toStatus(invalidRequest("view", "must be SKILL_VIEW_BASIC or SKILL_VIEW_CONTENT"))
	}
	opts, err := s.callOptions(ctx, false)
	if err != nil {
		return nil, toStatus(err)
	}
	d, err := s.client.TenantSkill(ctx, req.GetSkillId(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	out := skillProto(d)
	if req.GetView() == bosav1.SkillView_SKILL_VIEW_CONTENT {
		a, err := s.client.DownloadSkill(ctx, d)
		if err != nil {
			return nil, toStatus(err)
		}
		out.Content = a.Data
	}
	return out, nil
}

// total is a catalog list's total, -1 when the upstream sent no meta.
func total(m *bosaclient.CatalogMeta) int {
	if m == nil {
		return -1
	}
	return m.Total
}

// filterKey binds a page token to the filters of the request it was issued for.
func filterKey(parts ...string) string { return strings.Join(parts, "\x00") }

func catalogToolProto(t bosaclient.CatalogTool) *bosav1.CatalogTool {
	return &bosav1.CatalogTool{Name: t.Name, Description: t.Description, Connector: t.Connector,
		Categories: t.Categories, Source: t.Source, Score: t.Score}
}

func catalogMCPProto(m bosaclient.CatalogMCP) *bosav1.CatalogMcpServer {
	return &bosav1.CatalogMcpServer{Name: m.Name, Description: m.Description, McpUri: m.MCPURL,
		Config:    &bosav1.McpConfig{Url: m.Config.URL, Headers: m.Config.Headers},
		ToolCount: int32(m.ToolCount), Categories: m.Categories, Source: m.Source, Score: m.Score}
}

func catalogSkillProto(sk bosaclient.CatalogSkill) *bosav1.CatalogSkill {
	return &bosav1.CatalogSkill{Name: sk.Name, Description: sk.Description, Source: sk.Source, Author: sk.Author,
		Uri: sk.URL, Score: sk.Score}
}

func skillProto(d *bosaclient.SkillDetail) *bosav1.Skill {
	out := &bosav1.Skill{Id: d.ID, ClientId: d.ClientID, SourceType: d.SourceType, Name: d.Name,
		Description: d.Description, GithubUri: d.GitHubURL, DownloadUri: d.DownloadURL, ContentSha256: d.ContentSHA256,
		CreateTime: timestamp(d.CreatedAt), UpdateTime: timestamp(d.UpdatedAt)}
	if d.Frontmatter != nil {
		if fm, err := structpb.NewStruct(d.Frontmatter); err == nil {
			out.Frontmatter = fm
		}
	}
	return out
}

// timestamp parses an upstream time (RFC 3339, or naive ISO 8601 meaning UTC); nil when absent or
// unreadable.
func timestamp(s string) *timestamppb.Timestamp {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return timestamppb.New(t)
		}
	}
	return nil
}

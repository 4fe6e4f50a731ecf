package sandbox

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"bosa.dev/gateway/schema"
)

// Seeded GitHub data. It is generated once, deterministically, and never mutated, so all
// sandboxes share it. Seeded repositories (owner/repo: pull requests, commits, collaborators):
//
//	acme/web    237 PRs, 523 commits, 42 collaborators
//	acme/api     64 PRs, 150 commits,  8 collaborators
//	acme/empty    0 PRs,   0 commits,  1 collaborator
//
// Pull request n is open when n%4 == 0 or n is among the 20 newest; lists are newest first.
type repoSeed struct {
	owner, name   string
	prs, commits  int
	collaborators int
	description   string
}

var repoSeeds = []repoSeed{
	{"acme", "web", 237, 523, 42, "The acme.example web front end"},
	{"acme", "api", 64, 150, 8, "Public REST API of acme.example"},
	{"acme", "empty", 0, 0, 1, "A repository with no history yet"},
}

type repoData struct {
	info          map[string]any
	pulls         []map[string]any // newest first
	commits       []map[string]any // newest first
	collaborators []map[string]any
}

var (
	githubOnce sync.Once
	githubData map[string]*repoData // by "owner/name"
)

var seedEpoch = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

var people = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yvonne"}

var labelSet = []map[string]any{
	{"name": "bug", "color": "d73a4a"}, {"name": "docs", "color": "0075ca"},
	{"name": "enhancement", "color": "a2eeef"}, {"name": "urgent", "color": "b60205"},
	{"name": "chore", "color": "cfd3d7"},
}

var (
	verbs   = []string{"Fix", "Add", "Refactor", "Remove", "Update", "Document", "Speed up", "Test"}
	objects = []string{"login redirect", "session cache", "billing page", "search index", "rate limiter",
		"dark mode", "CSV export", "webhook retries", "onboarding flow", "error pages", "Go toolchain", "CI pipeline"}
)

func loadGitHub() map[string]*repoData {
	githubOnce.Do(func() {
		githubData = map[string]*repoData{}
		for i, rs := range repoSeeds {
			githubData[rs.owner+"/"+rs.name] = seedRepo(i, rs)
		}
	})
	return githubData
}

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func seedRepo(idx int, rs repoSeed) *repoData {
	rng := rand.New(rand.NewPCG(uint64(idx)+1, 0x5eed))
	full := rs.owner + "/" + rs.name
	d := &repoData{}
	open := 0
	for n := rs.prs; n >= 1; n-- {
		created := seedEpoch.Add(time.Duration(n*7) * time.Hour)
		state := "closed"
		if n%4 == 0 || n > rs.prs-20 {
			state = "open"
			open++
		}
		var labels []any
		for _, l := range labelSet {
			if rng.IntN(4) == 0 {
				labels = append(labels, map[string]any{"name": l["name"], "color": l["color"]})
			}
		}
		if labels == nil {
			labels = []any{}
		}
		author := people[rng.IntN(len(people))]
		pr := map[string]any{
			"number": n, "title": verbs[rng.IntN(len(verbs))] + " " + objects[rng.IntN(len(objects))],
			"state": state, "draft": rng.IntN(10) == 0, "user": map[string]any{"login": author},
			"labels": labels, "created_at": iso(created), "updated_at": iso(created.Add(time.Duration(rng.IntN(72)) * time.Hour)),
			"comments": rng.IntN(25), "html_url": fmt.Sprintf("https://github.com/%s/pull/%d", full, n),
			"head": map[string]any{"ref": fmt.Sprintf("feature/%d", n)}, "base": map[string]any{"ref": "main"},
			"merged": state == "closed" && rng.IntN(5) != 0,
		}
		d.pulls = append(d.pulls, pr)
	}
	shas := make([]string, rs.commits+1)
	for n := 1; n <= rs.commits; n++ {
		h := sha1.Sum([]byte(fmt.Sprintf("%s commit %d", full, n)))
		shas[n] = hex.EncodeToString(h[:])
	}
	for n := rs.commits; n >= 1; n-- {
		who := people[rng.IntN(len(people))]
		parents := []any{}
		if n > 1 {
			parents = append(parents, map[string]any{"sha": shas[n-1]})
		}
		d.commits = append(d.commits, map[string]any{
			"sha":     shas[n],
			"message": fmt.Sprintf("%s %s", verbs[rng.IntN(len(verbs))], objects[rng.IntN(len(objects))]),
			"author": map[string]any{"name": who, "email": who + "@acme.example",
				"date": iso(seedEpoch.Add(time.Duration(n*3) * time.Hour))},
			"html_url": fmt.Sprintf("https://github.com/%s/commit/%s", full, shas[n]),
			"parents":  parents,
		})
	}
	for n := 1; n <= rs.collaborators; n++ {
		login := fmt.Sprintf("contributor-%02d", n)
		if n <= len(people) {
			login = people[n-1]
		}
		role := "write"
		switch {
		case n == 1:
			role = "admin"
		case n%5 == 0:
			role = "read"
		}
		d.collaborators = append(d.collaborators, map[string]any{
			"login": login, "id": 1000 + idx*100 + n, "role_name": role,
			"permissions": map[string]any{"admin": role == "admin", "push": role != "read", "pull": true},
		})
	}
	d.info = map[string]any{
		"id": 7000 + idx, "name": rs.name, "full_name": full, "owner": map[string]any{"login": rs.owner},
		"private": idx != 0, "description": rs.description, "default_branch": "main",
		"html_url": "https://github.com/" + full, "stargazers_count": 120 - idx*50 + rs.prs,
		"open_pull_requests_count": open, "topics": []any{"demo", "sandbox"},
		"created_at": iso(seedEpoch.Add(-time.Duration(idx+1) * 24 * time.Hour)),
	}
	return d
}

func githubConnector() *connector {
	c := &connector{
		name: "github", oauthScopes: []string{"repo", "read:user"}, customAuth: true, tokenPrefix: "gho_",
		defaultLogin: func(id string) string { return id + "-gh" },
	}
	repoProps := func(extra map[string]*schema.Schema) map[string]*schema.Schema {
		m := map[string]*schema.Schema{
			"owner": withDesc(sString(), "Repository owner, e.g. acme."),
			"repo":  withDesc(sString(), "Repository name, e.g. web."),
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	c.add(&action{
		name: "get_repository", user: true, integration: true,
		doc:    "Get one repository.\n\nArgs:\n    request: owner and repo.",
		schema: actionSchema("GetRepositoryRequest", noPaging, "", repoProps(nil)),
		run: func(cl *call) (*result, error) {
			rd, err := repoFor(cl)
			if err != nil {
				return nil, err
			}
			info := make(map[string]any, len(rd.info)+1)
			for k, v := range rd.info {
				info[k] = v
			}
			info["viewer_login"] = cl.integration // the integration the call ran with
			return &result{data: info}, nil
		},
	})
	c.add(&action{
		name: "list_collaborators", user: true, integration: true,
		doc:    "List collaborators of a repository.\n\nArgs:\n    request: owner, repo and paging (page, per_page).",
		schema: actionSchema("ListCollaboratorsRequest", pageBased, "per_page", repoProps(nil)),
		run: func(cl *call) (*result, error) {
			rd, err := repoFor(cl)
			if err != nil {
				return nil, err
			}
			return pagedResult(cl, rd.collaborators)
		},
	})
	c.add(&action{
		name: "list_pull_requests", user: true, integration: true,
		doc: "List pull requests of a repository, newest first.\n\nArgs:\n    request: owner, repo, state, filters and paging (page, per_page).",
		schema: actionSchema("ListPullRequestsRequest", pageBased, "per_page", repoProps(map[string]*schema.Schema{
			"state": withDesc(optional(sEnum("open", "closed", "all")), "open (default), closed or all."),
		})),
		run: func(cl *call) (*result, error) {
			rd, err := repoFor(cl)
			if err != nil {
				return nil, err
			}
			state := paramString(cl.params, "state")
			if state == "" {
				state = "open"
			}
			items := rd.pulls
			if state != "all" {
				items = nil
				for _, pr := range rd.pulls {
					if pr["state"] == state {
						items = append(items, pr)
					}
				}
			}
			return pagedResult(cl, items)
		},
	})
	c.add(&action{
		name: "list_commits", user: true, integration: true,
		doc:    "List commits of a repository's default branch, newest first.\n\nArgs:\n    request: owner, repo and cursor paging (cursor, per_page).",
		schema: actionSchema("ListCommitsRequest", cursorBased, "per_page", repoProps(nil)),
		run: func(cl *call) (*result, error) {
			rd, err := repoFor(cl)
			if err != nil {
				return nil, err
			}
			off, per, aerr := cursorWindow(cl.params, "per_page", 30)
			if aerr != nil {
				return nil, aerr
			}
			return &result{data: slice(rd.commits, off, per), meta: cursorMeta(off, per, len(rd.commits))}, nil
		},
	})
	return c
}

func repoFor(cl *call) (*repoData, error) {
	owner, repo := paramString(cl.params, "owner"), paramString(cl.params, "repo")
	rd := loadGitHub()[owner+"/"+repo]
	if rd == nil {
		return nil, errNotFound("Repository " + owner + "/" + repo + " not found")
	}
	return rd, nil
}

func pagedResult(cl *call, items []map[string]any) (*result, error) {
	page, per, aerr := pageWindow(cl.params, 30)
	if aerr != nil {
		return nil, aerr
	}
	return &result{data: slice(items, (page-1)*per, per), meta: pageMeta(page, per, len(items))}, nil
}

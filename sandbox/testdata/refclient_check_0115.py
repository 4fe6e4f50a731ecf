"""Drives what gl-connectors-sdk 0.1.15 adds (error contract 2, request ids, recovery-driven replays, replace_duplicate,
login without an API key, the async API, the catalog and tenant skills) against a running sandbox served under a path
prefix with its control surface on.

Usage: python refclient_check_0115.py http://127.0.0.1:8765/pre [client key]
Exits non-zero on the first mismatch. Run by refclient.sh for SDK versions that have these surfaces.
"""

import asyncio
import logging
import sys
import tempfile
import uuid
from pathlib import Path

import requests
from gl_connectors_sdk import GLConnectors
from gl_connectors_sdk.errors import GLConnectorRequestError, GLIntegrationError
from gl_connectors_sdk.helpers.skills import GLSkillsError

logging.disable(logging.WARNING)
base = sys.argv[1].rstrip("/")
key = sys.argv[2] if len(sys.argv) > 2 else "sk-client-sandbox-demo"
host = base.split("/", 3)
control = "/".join(host[:3]) + ("/" + host[3] if len(host) > 3 else "") + "/sandbox/control"
keyed = GLConnectors(api_base_url=base, api_key=key, error_contract=2)
gl = GLConnectors(api_base_url=base, error_contract=2)  # no API key anywhere
legacy = GLConnectors(api_base_url=base, api_key=key)  # contract 1


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok  ", what)


def raises(fn, exc):
    try:
        fn()
    except exc as e:
        return e
    return None


def ctl(path, body):
    r = requests.post(control + path, json=body, timeout=10)
    r.raise_for_status()


def calls(connector, action):
    r = requests.get(control + "/calls", params={"connector": connector, "action": action}, timeout=10)
    return r.json()["data"]["total"]


# Users: creating one needs the key; logging in does not.
ident = "py15-" + uuid.uuid4().hex[:8]
user = keyed.create_user(ident)
token = gl.authenticate(ident, user.secret).token
check(gl.get_user_info(token).identifier == ident, "login and /users/me without an API key")

# OAuth2 and replace_duplicate (the sandbox's consent page picks <identifier>-gh by default).
cb = base + "/connectors/github/success-authorize-callback"
url = gl.initiate_connector_auth("github", token, cb)
check(requests.get(url, timeout=10).status_code == 200, "OAuth2 round trip under a path prefix, no API key")
login = ident + "-gh"
again = requests.get(gl.initiate_connector_auth("github", token, cb), timeout=10)
check(again.status_code == 400 and "duplicate_user_error" in again.text, "a duplicate OAuth2 integration fails")
replaced = requests.get(gl.initiate_connector_auth("github", token, cb, replace_duplicate=True), timeout=10)
info = gl.get_user_info(token)
check(replaced.status_code == 200 and len(info.integrations) == 1, "replace_duplicate=True replaces it (OAuth2)")
check(info.integrations[0].auth_status == "active", "auth_status on /users/me integrations")
cfg = {"identifier": ident + "-pat", "token": "ghp_example"}
check(gl.initiate_plugin_configuration("github", token, cfg).success, "custom integration")
dup = raises(lambda: gl.initiate_plugin_configuration("github", token, cfg), GLIntegrationError)
check(dup is not None and dup.api_error.api_code == "INTEGRATION_EXISTS", "a duplicate custom integration raises")
check(gl.initiate_plugin_configuration("github", token, cfg, replace_duplicate=True).success, "replace_duplicate=True (custom)")

# Contract 2 on the integration routes; contract 1's 200 failure shape.
e = raises(lambda: gl.get_integration("github", token, "ghost"), GLIntegrationError)
check(e is not None and e.api_error.status_code == 404 and e.api_error.api_code == "INTEGRATION_NOT_FOUND"
      and e.api_error.error_contract == 2 and e.api_error.request_id, "contract 2: get of an unknown integration is 404 + envelope")
sel = gl.select_integration("github", token, "ghost")
check(not sel.success and "request ID" in sel.message, "contract 2: select of an unknown integration fails with the request ID")
check(not gl.remove_integration("github", token, "ghost").success, "contract 2: remove of an unknown integration fails")
legacy_get = legacy.get_integration("github", token, "ghost")
check(legacy_get.get("success") is False and "ghost" in legacy_get.get("error", ""), "contract 1: 200 legacy failure shape")
check(not legacy.select_integration("github", token, "ghost").success, "contract 1: select failure via the 200 shape")

# Actions: request ids, contract echo, raise_for_error.
ok = gl.run("github", "get_repository", token=token, owner="acme", repo="web")
check(ok.get_error() is None and ok.get_request_id() and ok.get_error_contract() == 2, "request id and contract on success")
bad = gl.run("github", "get_repository", token=token, owner="acme", repo="nope")
err = raises(bad.raise_for_error, GLConnectorRequestError)
check(err is not None and err.api_error.api_code == "NOT_FOUND" and err.api_error.recovery == {"retryable": False}
      and err.api_error.request_id == bad.get_request_id(), "raise_for_error carries code, recovery and request id")
check(legacy.run("github", "get_repository", token=token, owner="acme", repo="web").get_error_contract() == 1,
      "contract 1 echoed when not asked for 2")

# Replays follow recovery.retryable.
before = calls("github", "get_repository")
ctl("/faults", {"connector": "github", "action": "get_repository", "status": 503, "times": 1, "retry_after_seconds": 1})
data, status = gl.execute("github", "get_repository", token=token, owner="acme", repo="web", max_attempts=3)
check(status == 200 and calls("github", "get_repository") - before == 2, "a retryable 503 is replayed")
before = calls("github", "get_repository")
ctl("/faults", {"connector": "github", "action": "get_repository", "status": 503, "times": 1, "retryable": False})
data, status = gl.execute("github", "get_repository", token=token, owner="acme", repo="web", max_attempts=3)
check(status == 503 and calls("github", "get_repository") - before == 1, "a non-retryable 503 is not replayed")


# The async API.
async def async_checks():
    async with GLConnectors(api_base_url=base, error_contract=2) as agl:
        first = await agl.arun("github", "list_pull_requests", token=token, owner="acme", repo="web", state="all", per_page=50)
        second = await first.anext_page()
        me = await agl.aget_user_info(token)
        tools = await agl.alist_tools(connector="google_drive")
        return first, second, me, tools


first, second, me, atools = asyncio.run(async_checks())
check(first.get_meta()["page"] == 1 and second.get_meta()["page"] == 2 and second.get_request_id(), "arun and anext_page")
check(me.identifier == ident and atools.items and all(t.connector == "google_drive" for t in atools.items), "async user and catalog")

# Catalog: public lists, tool names equal to the generated tools', MCP config, skills, search.
tools = gl.list_tools(limit=200)
check(tools.meta.total == len(tools.items) and tools.meta.limit == 200 and tools.meta.offset == 0, "list_tools meta")
for item in tools.items:
    tool = keyed.build_catalog_tool(item)
    if tool.name != item.name:
        sys.exit("FAIL: build_catalog_tool " + item.name)
print("ok   build_catalog_tool finds every catalog tool among the generated tools (%d)" % len(tools.items))
page = gl.list_tools(connector="github", limit=2, offset=1)
check(len(page.items) == 2 and page.meta.offset == 1, "list_tools paging and connector filter")
mcps = gl.list_mcps()
conf = gl.get_mcp_config(mcps.items[0], token)
check(mcps.items[0].mcp_url.startswith(base + "/") and conf.headers["Authorization"] == "Bearer " + token, "list_mcps and get_mcp_config")
claw = gl.list_skills(source="openclaw")
check(claw.items and all(s.source == "openclaw" for s in claw.items), "catalog list_skills(source=openclaw)")
found = gl.semantic_search("pull requests", token)
check(found.backend is not None and found.tools and "pull_requests" in found.tools[0].name, "semantic_search")
only_mcp = gl.semantic_search("drive", token, kinds="mcp", count=1)
check(len(only_mcp.mcp) == 1 and not only_mcp.tools and not only_mcp.skills, "semantic_search kinds and count")
empty_q = raises(lambda: gl.semantic_search("", token), requests.HTTPError)
check(empty_q is not None and empty_q.response.status_code == 422 and empty_q.api_error.api_code == "VALIDATION_ERROR", "empty q is 422")
ctl("/search", {"enabled": False})
down = gl.semantic_search("pull requests", token)
ctl("/search", {"enabled": True})
check(down.backend is None and not down.tools and not down.mcp and not down.skills, "search degrades to empty groups")

# Tenant skills: list, get, download with checksum verification.
listing = gl.list_tenant_skills(token)
check(len(listing.items) == 5 and listing.meta.total == 5, "list_tenant_skills")
with tempfile.TemporaryDirectory() as tmp:
    installed = 0
    for summary in listing.items:
        skill = gl.get_tenant_skill(token, summary.id)
        if skill.download_url is None:
            pending = raises(lambda: gl.download_tenant_skill(skill, [tmp]), GLSkillsError)
            check(pending is not None and "refresh" in str(pending), "a pending github skill cannot be downloaded")
            continue
        paths = gl.download_tenant_skill(skill, [tmp])
        if not (paths[0] / "SKILL.md").is_file():
            sys.exit("FAIL: download_tenant_skill " + skill.name)
        installed += 1
    check(installed == 4, "download_tenant_skill verifies content_sha256 of zip and single-file skills")
    check((Path(tmp) / "release-notes" / "scripts" / "changelog.py").is_file(), "zip skill extracted with its tree")
    zipped = next(gl.get_tenant_skill(token, s.id) for s in listing.items if s.source_type == "upload_zip")
    wrong = zipped.model_copy(update={"content_sha256": "0" * 64})
    mismatch = raises(lambda: gl.download_tenant_skill(wrong, [tmp + "/other"]), GLSkillsError)
    check(mismatch is not None and "Checksum mismatch" in str(mismatch), "a wrong content_sha256 is refused")
not_uuid = raises(lambda: gl.get_tenant_skill(token, "agent"), GLSkillsError)
check(not_uuid is not None, "get_tenant_skill('agent') reaches the catalog route and is refused")
unknown = raises(lambda: gl.get_tenant_skill(token, str(uuid.uuid4())), requests.HTTPError)
check(unknown is not None and unknown.response.status_code == 404, "unknown skill id is 404")
print("reference client 0.1.15 surfaces: all checks passed")

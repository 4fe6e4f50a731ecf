"""Drives the reference Python client (gl-connectors-sdk 0.1.0 to 0.1.15.post1) against a running sandbox.

Usage: python refclient_check.py http://127.0.0.1:8765 [client key]
Exits non-zero on the first mismatch. See docs/sandbox.md.
"""

import hashlib
import logging
import os
import sys
import uuid

import requests
from gl_connectors_sdk import GLConnectors
from gl_connectors_sdk.models.file import ConnectorFile

logging.disable(logging.INFO)
base = sys.argv[1].rstrip("/")
key = sys.argv[2] if len(sys.argv) > 2 else "sk-client-sandbox-demo"
# A trailing slash in the base URL must work too (the server collapses "//connectors").
gl = GLConnectors(api_base_url=base + "/", api_key=key)


def flatten(pages):
    """get_all_items returns one {"data", "meta"} entry per page."""
    return [item for page in pages for item in page["data"]]


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok  ", what)


check(gl.get_available_modules() == ["github", "google_drive"], "get_available_modules")
ident = "py-" + uuid.uuid4().hex[:8]
user = gl.create_user(ident)
check(user.secret.startswith("sk-user-"), "create_user returns the secret")
token = gl.authenticate(ident, user.secret)
check(token.token_type == "Bearer", "authenticate")
check(gl.get_user_info(token.token).identifier == ident, "get_user_info")
check(not gl.user_has_integration("github", token.token), "no integration yet")

url = gl.initiate_connector_auth("github", token.token, base + "/connectors/github/success-authorize-callback")
res = requests.get(url, timeout=10)  # follows the sandbox's consent and callback redirects
check(res.status_code == 200 and gl.user_has_integration("github", token.token), "OAuth2 round trip")
login = ident + "-gh"
check(gl.get_integration("github", token.token, login)["user_identifier"] == login, "get_integration")
check(gl.select_integration("github", token.token, login).success, "select_integration")
info = gl.get_user_info(token.token)
check([i.user_identifier for i in info.integrations] == [login], "integrations in get_user_info")

resp = gl.run("github", "list_pull_requests", token=token.token, owner="acme", repo="web", state="all", per_page=50)
items = flatten(resp.get_all_items())
check(len(items) == 237 and items[0]["number"] == 237, "page-based get_all_items: 237 pull requests")
page2 = resp.next_page()
check(page2.get_meta()["page"] == 2 and page2.prev_page().get_meta()["page"] == 1, "next_page / prev_page")
commits = flatten(gl.run("github", "list_commits", token=token.token, owner="acme", repo="web", per_page=100).get_all_items())
check(len(commits) == 523 and len({c["sha"] for c in commits}) == 523, "cursor-based get_all_items: 523 commits")

data, status = gl.execute("github", "list_pull_requests", token=token.token, identifier=login,
                          input_={"owner": "acme", "repo": "web", "page": 2, "per_page": 3,
                                  "response_fields": ["number", "title", "user.login"]})
check(status == 200 and [set(d) for d in data["data"]] == [{"number", "title", "user"}] * 3, "response_fields")
data, status = gl.execute("github", "list_pull_requests", token=token.token, owner="acme", repo="nope")
check(status == 404 and data["error"]["code"] == "NOT_FOUND", "errors come back as data")

url = gl.initiate_connector_auth("google_drive", token.token, base + "/connectors/google_drive/success-authorize-callback")
requests.get(url, timeout=10)
blob = os.urandom(3 * 1024 * 1024)
up, status = gl.execute("google_drive", "upload_file", token=token.token, folder_id="fld-reports",
                        file=ConnectorFile(file=blob, filename="blob.bin", content_type="application/octet-stream"))
check(status == 200 and up["data"]["size"] == len(blob), "upload_file (multipart)")
f, status = gl.execute("google_drive", "download_file", token=token.token, file_id=up["data"]["id"])
check(status == 200 and f.file == blob and f.filename == "blob.bin", "download_file byte-exact")
f, _ = gl.execute("google_drive", "download_file", token=token.token, file_id="f-20m")
check(len(f.file) == 20 << 20 and f.content_type == "application/octet-stream", "seeded 20 MiB download")
print("sha256(f-20m) =", hashlib.sha256(f.file).hexdigest())
files = flatten(gl.run("google_drive", "list_files", token=token.token, page_size=100).get_all_items())
check(len(files) == 307, "list_files get_all_items: 306 seeded + 1 upload")

cfg = {"token": "ghp_example", "identifier": ident + "-pat"}
check(gl.initiate_plugin_configuration("github", token.token, cfg).success, "initiate_plugin_configuration (custom)")
check(gl.get_integration("github", token.token, ident + "-pat")["selected"] is False, "custom integration not selected")
check(gl.remove_integration("github", token.token, login).success, "remove_integration")
check(gl.get_integration("github", token.token, ident + "-pat")["selected"] is True, "remaining one selected")
check(gl.remove_integration("github", token.token, ident + "-pat").success, "remove the last integration")
check(not gl.user_has_integration("github", token.token), "integration removed")
print("reference client: all checks passed")

"""The MCP Inspector's CLI mode (npm @modelcontextprotocol/inspector, pinned in package.json and
package-lock.json) against the gateway, configured with docs/mcp-client.json: it lists the tools,
checks their schemas' portability (--strict), runs github_get_repository_tool, and pages
github_list_commits_tool twice."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import Gateway, client_config

HERE = Path(__file__).resolve().parent
INSPECTOR = HERE / "node_modules" / ".bin" / "mcp-inspector"


def inspector(config: Path, *args: str) -> dict:
    proc = subprocess.run(
        [str(INSPECTOR), "--cli", "--config", str(config), "--server", "bosa", *args],
        capture_output=True, text=True, timeout=120, cwd=HERE,
        # No OS keychain on CI machines; the config holds the only secret, kept in memory.
        env={**os.environ, "MCP_INSPECTOR_SECRET_STORE": "memory"},
    )
    assert proc.returncode == 0, f"inspector {args} exited {proc.returncode}: {proc.stdout}{proc.stderr}"
    return json.loads(proc.stdout)


def test_inspector_lists_and_calls(gateway: Gateway, token: str, tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps(client_config(gateway.http_base, token)))

    # --strict: exit 6 if any tool's schema has an error-severity portability problem.
    tools = {t["name"]: t for t in inspector(config, "--method", "tools/list", "--strict")["tools"]}
    assert {"github_get_repository_tool", "github_list_commits_tool", "google_drive_download_file_tool"} <= tools.keys()

    got = inspector(config, "--method", "tools/call", "--tool-name", "github_get_repository_tool",
                    "--tool-arg", "owner=acme", "--tool-arg", "repo=web")
    assert not got.get("isError"), got
    assert got["structuredContent"]["data"]["full_name"] == "acme/web"

    first = inspector(config, "--method", "tools/call", "--tool-name", "github_list_commits_tool",
                      "--tool-arg", "owner=acme", "--tool-arg", "repo=web", "--tool-arg", "per_page=5")
    assert not first.get("isError"), first
    token1 = first["structuredContent"]["next_page_token"]
    second = inspector(config, "--method", "tools/call", "--tool-name", "github_list_commits_tool",
                       "--tool-arg", f"page_token={token1}")
    assert not second.get("isError"), second
    a = [c["sha"] for c in first["structuredContent"]["data"]]
    b = [c["sha"] for c in second["structuredContent"]["data"]]
    assert len(a) == 5 and len(b) == 5 and not set(a) & set(b), (a, b)

"""The `mcp` package from PyPI (the reference Python SDK's client) against the gateway's /mcp,
configured from docs/mcp-client.json."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from contextlib import asynccontextmanager

import anyio
import mcp.types as types
import pytest
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from conftest import Gateway, client_config, make_user

# "auto" probes server/discover and speaks the current revision (2026-07-28, sessionless); "legacy"
# runs the initialize handshake of the earlier revisions, with a session.
MODES = {"auto": "2026-07-28", "legacy": "2025-11-25"}


@asynccontextmanager
async def session(gateway: Gateway, token: str, mode: str = "auto"):
    server = client_config(gateway.http_base, token)["mcpServers"]["bosa"]
    async with create_mcp_http_client(headers=server["headers"]) as http:
        transport = streamable_http_client(server["url"], http_client=http)
        async with Client(transport, mode=mode, cache=None) as client:
            assert client.protocol_version == MODES[mode]
            yield client


def text_of(result: types.CallToolResult) -> str:
    return next(c.text for c in result.content if isinstance(c, types.TextContent))


@pytest.mark.parametrize("mode", MODES)
def test_tools_call_and_page(gateway: Gateway, token: str, mode: str) -> None:
    async def run() -> None:
        async with session(gateway, token, mode) as s:
            tools = {t.name: t for t in (await s.list_tools()).tools}
            assert "github_get_repository_tool" in tools
            assert "google_drive_download_file_tool" in tools
            assert "page_token" in tools["github_list_commits_tool"].input_schema["properties"]
            assert "response_fields" in tools["github_get_repository_tool"].input_schema["properties"]
            assert tools["github_get_repository_tool"].description.startswith("Get one repository.")

            got = await s.call_tool("github_get_repository_tool", {"owner": "acme", "repo": "web"})
            assert not got.is_error, text_of(got)
            assert got.structured_content["data"]["full_name"] == "acme/web"
            assert json.loads(text_of(got)) == got.structured_content

            shas: list[str] = []
            args: dict = {"owner": "acme", "repo": "api", "per_page": 10}
            for _ in range(2):
                page = await s.call_tool("github_list_commits_tool", args)
                assert not page.is_error, text_of(page)
                items = page.structured_content["data"]
                assert len(items) == 10
                shas += [c["sha"] for c in items]
                args = {"page_token": page.structured_content["next_page_token"]}
            assert len(set(shas)) == 20, "the second page repeats the first"

    anyio.run(run)


@pytest.mark.parametrize("mode", MODES)
def test_errors_are_tool_results(gateway: Gateway, token: str, mode: str) -> None:
    unlinked = make_user(gateway.http_base)

    async def run() -> None:
        async with session(gateway, token, mode) as s:
            bad = await s.call_tool("github_get_repository_tool", {"owner": "acme"})
            assert bad.is_error
            assert bad.structured_content["error"]["reason"] == "INVALID_PARAMETERS"
            assert text_of(bad).startswith("INVALID_PARAMETERS: ")
        async with session(gateway, unlinked, mode) as s:
            missing = await s.call_tool("github_get_repository_tool", {"owner": "acme", "repo": "web"})
            assert missing.is_error
            assert missing.structured_content["error"]["reason"] == "INTEGRATION_MISSING"
            assert "InitiateIntegration" in missing.structured_content["error"]["message"]

    anyio.run(run)


def test_file_is_an_embedded_resource(gateway: Gateway, token: str) -> None:
    async def run() -> None:
        async with session(gateway, token) as s:
            got = await s.call_tool("google_drive_download_file_tool", {"file_id": "f-hello"})
            assert not got.is_error
            (res,) = got.content
            assert isinstance(res, types.EmbeddedResource)
            assert isinstance(res.resource, types.BlobResourceContents)
            assert base64.b64decode(res.resource.blob) == b"Hello from the BOSA sandbox!\n"
            assert res.resource.mime_type.startswith("text/plain")

            big = await s.call_tool("google_drive_download_file_tool", {"file_id": "f-1k"})
            assert big.is_error
            assert "DownloadFile" in big.structured_content["error"]["message"]

    anyio.run(run)


def test_no_token_is_401_with_resource_metadata(gateway: Gateway) -> None:
    url = client_config(gateway.http_base, "unused")["mcpServers"]["bosa"]["url"]
    req = urllib.request.Request(url, method="POST", data=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json, text/event-stream")
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("no 401")
    except urllib.error.HTTPError as e:
        assert e.code == 401
        challenge = e.headers["WWW-Authenticate"]
        e.close()
    meta_url = gateway.http_base + "/.well-known/oauth-protected-resource/mcp"
    assert challenge == f'Bearer resource_metadata="{meta_url}"'
    with urllib.request.urlopen(meta_url, timeout=30) as resp:
        assert json.load(resp)["resource"] == url

"""The REST journey with a client generated from gen/openapi/bosa.openapi.json by a standard
generator (openapi-python-client, pinned in requirements.txt), generated at test time: create a
user, get a token, link an integration, run an action, read a typed error and a Paginate stream."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO


@pytest.fixture(scope="session")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """Generates the client package bosa_rest into a temporary directory and imports it."""
    out = tmp_path_factory.mktemp("generated")
    config = out / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter runs: the code is used, not kept
    bindir = Path(sys.executable).parent
    subprocess.run(
        [str(bindir / "openapi-python-client"), "generate", "--path", str(REPO / "gen/openapi/bosa.openapi.json"),
         "--meta", "none", "--config", str(config), "--output-path", str(out / "bosa_rest")],
        check=True, capture_output=True,
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("bosa_rest")
    finally:
        sys.path.remove(str(out))


def api(name: str) -> ModuleType:
    return importlib.import_module("bosa_rest.api." + name)


def models() -> ModuleType:
    return importlib.import_module("bosa_rest.models")


def test_journey(rest: ModuleType, gateway: str) -> None:
    m = models()
    anonymous = rest.Client(base_url=gateway, raise_on_unexpected_status=True)
    ident = "gen-" + uuid.uuid4().hex[:10]

    created = api("user_service.user_service_create_user").sync(client=anonymous, body=m.V1CreateUserRequest(identifier=ident))
    assert isinstance(created, m.V1User), created
    assert created.identifier == ident and created.secret

    auth = api("user_service.user_service_authenticate_user").sync(
        client=anonymous, body=m.V1AuthenticateUserRequest(identifier=ident, secret=created.secret))
    assert isinstance(auth, m.V1AuthenticateUserResponse), auth
    user = rest.AuthenticatedClient(base_url=gateway, token=auth.token, raise_on_unexpected_status=True)

    me = api("user_service.user_service_get_current_user").sync(client=user)
    assert isinstance(me, m.V1User) and me.identifier == ident

    initiated = api("integration_service.integration_service_initiate_integration").sync(
        "github", client=user, body=m.IntegrationServiceInitiateIntegrationBody(callback_url=gateway + "/healthz"))
    assert isinstance(initiated, m.V1InitiateIntegrationResponse), initiated
    with urllib.request.urlopen(initiated.url, timeout=30) as consent:  # the sandbox's consent page
        assert consent.status == 200
    listed = api("integration_service.integration_service_list_integrations").sync(client=user)
    assert isinstance(listed, m.V1ListIntegrationsResponse)
    assert [i.connector for i in listed.integrations] == ["github"]

    # ExecuteAction: meta is absent (null) for a single object, which the client must accept.
    body = m.ActionServiceExecuteActionBody.from_dict({"input": {"owner": "acme", "repo": "web"}})
    repo = api("action_service.action_service_execute_action").sync("github", "get_repository", client=user, body=body)
    assert isinstance(repo, m.V1ExecuteActionResponse), repo
    assert repo.data["full_name"] == "acme/web"
    assert repo.upstream_status == 200

    # A typed error: RpcStatus with google.rpc.ErrorInfo, the HTTP status from the gRPC code.
    missing = m.ActionServiceExecuteActionBody.from_dict({"input": {"owner": "acme", "repo": "nope"}})
    resp = api("action_service.action_service_execute_action").sync_detailed("github", "get_repository", client=user, body=missing)
    assert resp.status_code == 404
    assert isinstance(resp.parsed, m.RpcStatus), resp.parsed
    assert resp.parsed.code == 5 and "nope" in resp.parsed.message
    info = [d for d in resp.parsed.details if d.type_ == "type.googleapis.com/google.rpc.ErrorInfo"]
    assert info and info[0]["domain"] == "bosa.dev"
    assert m.ErrorReason(info[0]["reason"]) is m.ErrorReason.NOT_FOUND  # the API's reasons, as generated constants
    assert m.ErrorInfo.from_dict(info[0].to_dict()).reason == m.ErrorReason.NOT_FOUND.value
    assert resp.headers["x-request-id"]

    # Paginate: newline-delimited JSON, each line read with the generated PaginateStreamLine model.
    # The generator has no reader for a stream, so the call leaves the 200 unparsed (hence no raise
    # on it) and the test splits the body in lines.
    streaming = rest.AuthenticatedClient(base_url=gateway, token=auth.token)
    paged = m.ActionServicePaginateBody.from_dict({"input": {"owner": "acme", "repo": "api", "per_page": 5}, "max_pages": 3})
    resp = api("action_service.action_service_paginate").sync_detailed("github", "list_pull_requests", client=streaming, body=paged)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/x-ndjson"
    lines = [m.PaginateStreamLine.from_dict(json.loads(line)) for line in resp.content.splitlines()]
    assert len(lines) == 3
    numbers = [pr["number"] for line in lines for pr in line.result.data]
    assert len(numbers) == 15 and len(set(numbers)) == 15
    assert [line.result.index for line in lines] == [0, 1, 2]
    assert lines[0].result.has_next

    # A Paginate error before the first line is a plain Status, parsed as on every route.
    wrong = m.ActionServicePaginateBody.from_dict({"input": {"owner": "acme", "repo": "nope"}})
    resp = api("action_service.action_service_paginate").sync_detailed("github", "list_pull_requests", client=streaming, body=wrong)
    assert resp.status_code == 404 and isinstance(resp.parsed, m.RpcStatus) and resp.parsed.code == 5

"""The whole user journey through bosa_gateway.Client against a real sandbox gateway."""

from __future__ import annotations

import datetime
import os
import uuid

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2

from bosa.v1 import connector_pb2, integration_pb2, user_pb2
from bosa_gateway import BosaError, Client, ErrorReason, File, to_python

from conftest import Callback, User, connect


def test_list_connectors(client: Client) -> None:
    got = client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
    names = [c.name for c in got.connectors]
    assert names == ["github", "google_drive"]
    github = client.connectors.GetConnector(connector_pb2.GetConnectorRequest(connector="github"))
    actions = {a.name: a for a in github.actions}
    assert "list_pull_requests" in actions
    assert "owner" in to_python(actions["list_pull_requests"].parameters_schema)["properties"]


def test_create_user_and_token(client: Client, identifier: str) -> None:
    created = client.create_user(identifier)
    assert created.identifier == identifier
    assert created.secret.startswith("sk-user-")
    token = client.authenticate(identifier, created.secret)
    assert token.token and token.expire_time > datetime.datetime.now(datetime.timezone.utc)
    me = client.with_credentials(token=token.token).users.GetCurrentUser(user_pb2.GetCurrentUserRequest())
    assert (me.id, me.identifier, me.secret) == (created.id, identifier, "")


def test_oauth2_integration_round_trip(user: User, callback: Callback) -> None:
    check = integration_pb2.CheckIntegrationRequest(connector="github")
    assert not user.client.integrations.CheckIntegration(check).has_integration

    connect(user.client, "github", callback)

    assert user.client.integrations.CheckIntegration(check).has_integration
    listed = user.client.integrations.ListIntegrations(integration_pb2.ListIntegrationsRequest(connector="github"))
    assert [(i.user_identifier, i.selected) for i in listed.integrations] == [(user.identifier + "-gh", True)]
    repo = to_python(user.client.execute("github", "get_repository", {"owner": "acme", "repo": "web"}).data)
    assert repo["full_name"] == "acme/web"
    assert repo["viewer_login"] == user.identifier + "-gh"


def test_integration_chosen_per_client(connected: User) -> None:
    """integration= sends x-bosa-integration: the action runs with that integration, not the default."""
    cfg = struct_pb2.Struct()
    cfg.update({"identifier": "work-account", "token": "ghp_example"})
    connected.client.integrations.ConfigureIntegration(
        integration_pb2.ConfigureIntegrationRequest(connector="github", configuration=cfg)
    )
    work = connected.client.with_credentials(integration="work-account")
    repo = to_python(work.execute("github", "get_repository", {"owner": "acme", "repo": "api"}).data)
    assert repo["viewer_login"] == "work-account"
    default = to_python(connected.client.execute("github", "get_repository", {"owner": "acme", "repo": "api"}).data)
    assert default["viewer_login"] == connected.identifier + "-gh"


def test_execute_with_page_tokens(connected: User) -> None:
    params = {"owner": "acme", "repo": "web", "state": "all", "per_page": 100}
    first = connected.client.execute("github", "list_pull_requests", params)
    numbers = [pr["number"] for pr in to_python(first.data)]
    assert numbers == list(range(237, 137, -1))
    assert to_python(first.meta)["total"] == 237
    assert first.next_page_token and not first.prev_page_token
    second = connected.client.execute("github", "list_pull_requests", page_token=first.next_page_token)
    assert [pr["number"] for pr in to_python(second.data)] == list(range(137, 37, -1))
    assert second.prev_page_token


def test_paginate_streams_every_page(connected: User) -> None:
    pages = list(
        connected.client.paginate(
            "github", "list_pull_requests", {"owner": "acme", "repo": "web", "state": "all", "per_page": 50}
        )
    )
    assert [p.index for p in pages] == [0, 1, 2, 3, 4]
    assert [p.has_next for p in pages] == [True, True, True, True, False]
    assert all(p.next_page_token for p in pages[:-1]) and not pages[-1].next_page_token
    numbers = [pr["number"] for p in pages for pr in to_python(p.data)]
    assert numbers == list(range(237, 0, -1))


def test_paginate_cursor_pages_with_limit_and_early_exit(connected: User) -> None:
    # list_commits pages by cursor; max_pages bounds the stream.
    pages = list(
        connected.client.paginate(
            "github", "list_commits", {"owner": "acme", "repo": "api", "per_page": 40}, max_pages=2
        )
    )
    assert [len(to_python(p.data)) for p in pages] == [40, 40]
    assert pages[-1].has_next
    # Leaving the loop early cancels the stream cleanly, and the client stays usable.
    for page in connected.client.paginate("github", "list_commits", {"owner": "acme", "repo": "web", "per_page": 10}):
        assert page.index == 0
        break
    assert connected.client.execute("github", "get_repository", {"owner": "acme", "repo": "web"}).upstream_status == 200


def test_upload_and_download_byte_exact(connected: User) -> None:
    payload = bytes(range(256)) * 512 + os.urandom(100_001)  # every byte value, ~230 KB
    uploaded = connected.client.execute(
        "google_drive",
        "upload_file",
        {"name": "report.bin", "description": "pytest"},
        files=[File(parameter="file", filename="report.bin", content_type="application/octet-stream", data=payload)],
    )
    meta = to_python(uploaded.data)
    assert meta["name"] == "report.bin"
    downloaded = connected.client.execute("google_drive", "download_file", {"file_id": meta["id"]})
    assert downloaded.WhichOneof("result") == "file"
    assert downloaded.file.data == payload
    assert downloaded.file.filename == "report.bin"
    assert downloaded.file.content_type == "application/octet-stream"
    listed = [f["id"] for f in to_python(connected.client.execute("google_drive", "list_files", {"name_contains": "report.bin"}).data)]
    assert meta["id"] in listed


def _duplicate_user(client: Client, identifier: str, user: User) -> None:
    client.create_user(user.identifier)


def _wrong_secret(client: Client, identifier: str, user: User) -> None:
    client.authenticate(user.identifier, "sk-user-wrong")


def _bad_token(client: Client, identifier: str, user: User) -> None:
    client.with_credentials(token="not-a-token").users.GetCurrentUser(user_pb2.GetCurrentUserRequest())


def _unknown_api_key(client: Client, identifier: str, user: User) -> None:
    client.with_credentials(api_key="sk-client-unknown").create_user(identifier)


def _invalid_parameters(client: Client, identifier: str, user: User) -> None:
    user.client.execute("github", "list_pull_requests", {"owner": "acme", "per_page": "many"})


def _unknown_connector(client: Client, identifier: str, user: User) -> None:
    user.client.execute("gitlab", "list_merge_requests", {})


def _integration_missing(client: Client, identifier: str, user: User) -> None:
    user.client.execute("github", "get_repository", {"owner": "acme", "repo": "web"})


def _tampered_page_token(client: Client, identifier: str, user: User) -> None:
    user.client.execute("github", "list_pull_requests", page_token="AAAA" + "x" * 40)


def _error_mid_stream(client: Client, identifier: str, user: User) -> None:
    for _ in user.client.paginate("github", "list_pull_requests", {"repo": "web"}):
        pass


@pytest.mark.parametrize(
    ("call", "code", "reason", "metadata", "violations"),
    [
        pytest.param(_duplicate_user, grpc.StatusCode.ALREADY_EXISTS, ErrorReason.ALREADY_EXISTS,
                     {"upstream_status": "400"}, None, id="duplicate-user"),
        pytest.param(_wrong_secret, grpc.StatusCode.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
                     {"upstream_status": "401"}, None, id="wrong-secret"),
        pytest.param(_bad_token, grpc.StatusCode.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
                     {"upstream_status": "401"}, None, id="bad-token"),
        pytest.param(_unknown_api_key, grpc.StatusCode.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
                     {"upstream_status": "401", "upstream_code": "INVALID_CLIENT"}, None, id="unknown-api-key"),
        pytest.param(_invalid_parameters, grpc.StatusCode.INVALID_ARGUMENT, ErrorReason.INVALID_PARAMETERS,
                     {}, {"input.repo", "input.per_page"}, id="invalid-parameters"),
        pytest.param(_unknown_connector, grpc.StatusCode.NOT_FOUND, ErrorReason.NOT_FOUND, {}, None, id="unknown-connector"),
        pytest.param(_integration_missing, grpc.StatusCode.FAILED_PRECONDITION, ErrorReason.INTEGRATION_MISSING,
                     {"upstream_status": "404"}, None, id="integration-missing"),
        pytest.param(_tampered_page_token, grpc.StatusCode.INVALID_ARGUMENT, ErrorReason.INVALID_PAGE_TOKEN,
                     {}, None, id="tampered-page-token"),
        pytest.param(_error_mid_stream, grpc.StatusCode.INVALID_ARGUMENT, ErrorReason.INVALID_PARAMETERS,
                     {}, {"input.owner"}, id="paginate-stream-error"),
    ],
)
def test_errors_carry_code_and_reason(client, identifier, user, call, code, reason, metadata, violations) -> None:
    with pytest.raises(BosaError) as info:
        call(client, identifier, user)
    err = info.value
    assert err.code == code
    assert err.error_reason == reason
    assert err.reason == ErrorReason.Name(reason)
    assert err.domain == "bosa.dev"
    assert metadata.items() <= err.metadata.items()
    if violations is not None:
        assert set(err.field_violations) == violations
    assert isinstance(err.__cause__, grpc.RpcError)
    for secret in ("sk-user-", "sk-client-", "Bearer", "not-a-token"):
        assert secret not in str(err)


def test_create_user_retried_with_its_request_id(client: Client, identifier: str) -> None:
    request_id = str(uuid.uuid4())
    first = client.create_user(identifier, request_id=request_id)
    again = client.create_user(identifier, request_id=request_id)
    assert again == first and first.secret.startswith("sk-user-")
    with pytest.raises(BosaError) as info:  # the user exists once: a call without the id is a second creation
        client.create_user(identifier)
    assert info.value.error_reason == ErrorReason.ALREADY_EXISTS


def test_lists_page(connected: User) -> None:
    first = connected.client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest(page_size=1))
    assert [c.name for c in first.connectors] == ["github"] and first.next_page_token
    second = connected.client.connectors.ListConnectors(
        connector_pb2.ListConnectorsRequest(page_size=1, page_token=first.next_page_token)
    )
    assert [c.name for c in second.connectors] == ["google_drive"] and not second.next_page_token
    listed = connected.client.integrations.ListIntegrations(integration_pb2.ListIntegrationsRequest(page_size=1))
    assert [i.connector for i in listed.integrations] == ["github"] and listed.next_page_token
    rest = connected.client.integrations.ListIntegrations(
        integration_pb2.ListIntegrationsRequest(page_size=1, page_token=listed.next_page_token)
    )
    assert [i.connector for i in rest.integrations] == ["google_drive"] and not rest.next_page_token


@pytest.mark.parametrize("method", ["GetIntegration", "SelectIntegration", "DeleteIntegration"])
def test_a_missing_integration_is_not_found(user: User, method: str) -> None:
    request = getattr(integration_pb2, method + "Request")(connector="github", user_identifier="nobody")
    with pytest.raises(BosaError) as info:
        getattr(user.client.integrations, method)(request)
    assert (info.value.code, info.value.error_reason) == (grpc.StatusCode.NOT_FOUND, ErrorReason.NOT_FOUND)


def test_select_and_delete_answer_no_success_flag(connected: User) -> None:
    cfg = struct_pb2.Struct()
    cfg.update({"identifier": "spare", "token": "ghp_example"})
    connected.client.integrations.ConfigureIntegration(
        integration_pb2.ConfigureIntegrationRequest(connector="github", configuration=cfg, request_id=str(uuid.uuid4()))
    )
    ref = {"connector": "github", "user_identifier": "spare"}
    selected = connected.client.integrations.SelectIntegration(integration_pb2.SelectIntegrationRequest(**ref))
    assert selected.ListFields() == []
    assert connected.client.integrations.GetIntegration(integration_pb2.GetIntegrationRequest(**ref)).selected
    deleted = connected.client.integrations.DeleteIntegration(integration_pb2.DeleteIntegrationRequest(**ref))
    assert isinstance(deleted, empty_pb2.Empty)


@pytest.mark.parametrize("method", ["GetConnector", "CheckIntegration", "ListIntegrations"])
def test_an_8000_byte_connector_name_is_not_found_with_error_info(user: User, method: str) -> None:
    """grpcio is a C-core client: an error that outgrew its 8 KiB trailers would arrive as INTERNAL."""
    name = "g" * 8000
    service = user.client.connectors if method == "GetConnector" else user.client.integrations
    module = connector_pb2 if method == "GetConnector" else integration_pb2
    with pytest.raises(BosaError) as info:
        getattr(service, method)(getattr(module, method + "Request")(connector=name))
    err = info.value
    assert (err.code, err.error_reason, err.domain) == (grpc.StatusCode.NOT_FOUND, ErrorReason.NOT_FOUND, "bosa.dev")
    assert len(err.message) < 512 and err.message.startswith('connector "ggg')


def test_an_upload_to_a_connector_named_dot_dot_is_invalid(connected: User) -> None:
    with pytest.raises(BosaError) as info:
        connected.client.upload("..", "upload_file", {}, [("file", "a.txt", "text/plain", b"a")])
    assert (info.value.code, info.value.error_reason) == (grpc.StatusCode.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST)
    assert info.value.field_violations.keys() == {"connector"}

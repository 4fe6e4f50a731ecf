"""The sync client's helpers against the real gateway: token refresh, account linking, default deadline."""

from __future__ import annotations

import datetime
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from bosa.v1 import connector_pb2, integration_pb2, user_pb2
from bosa_gateway import DEFAULT_TIMEOUT, BosaError, Client

from conftest import Callback, Gateway, Stalled


class Record(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Keeps the authorization header of each call."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        self.seen.extend(v for k, v in details.metadata or () if k == "authorization")
        return continuation(details, request)


def test_token_refreshed_before_expiry(gateway: Gateway, client: Client, identifier: str) -> None:
    created = client.create_user(identifier)
    token = client.authenticate(identifier, created.secret)
    lifetime = (token.expire_time - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert lifetime > 60
    rec = Record()
    channel = grpc.intercept_channel(grpc.insecure_channel(gateway.target), rec)
    with Client(gateway.target, channel=channel) as c:
        eager = c.authenticated(identifier, created.secret, refresh_before=lifetime + 3600)
        lazy = c.authenticated(identifier, created.secret, refresh_before=60)
        for u in (eager, eager, lazy, lazy):
            u.users.GetCurrentUser(user_pb2.GetCurrentUserRequest())
    channel.close()
    assert len(rec.seen) == 4
    assert rec.seen[0] != rec.seen[1], "a token about to expire was not refreshed"
    assert rec.seen[2] == rec.seen[3], "a fresh token was refreshed"


def test_link_integration_polls_until_linked(client: Client, identifier: str, callback: Callback) -> None:
    alice = client.authenticated(identifier, client.create_user(identifier).secret)

    def open_url(url: str) -> None:
        # The user takes a moment: CheckIntegration is polled (false) before the browser finishes.
        def browse() -> None:
            time.sleep(0.3)
            urllib.request.urlopen(url, timeout=10).close()

        threading.Thread(target=browse, daemon=True).start()

    alice.link_integration("github", callback.url, open_url, timeout=30, poll_initial=0.05)
    check = integration_pb2.CheckIntegrationRequest(connector="github")
    assert alice.integrations.CheckIntegration(check).has_integration
    assert len(callback.queries) == 1


def test_link_integration_times_out(client: Client, identifier: str, callback: Callback) -> None:
    alice = client.authenticated(identifier, client.create_user(identifier).secret)
    with pytest.raises(BosaError) as err:
        alice.link_integration("github", callback.url, lambda url: None, timeout=0.5, poll_initial=0.05)
    assert err.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "github" in err.value.message


def test_default_deadline(stalled: tuple[str, Stalled]) -> None:
    target, servicer = stalled
    assert Client(target).timeout == DEFAULT_TIMEOUT
    with Client(target, timeout=0.5) as c:
        with pytest.raises(BosaError) as err:
            c.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
        assert err.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    # The client's deadline (not the service config's 15 s) reached the server.
    assert len(servicer.remaining) == 1 and servicer.remaining[0] is not None and servicer.remaining[0] <= 0.5

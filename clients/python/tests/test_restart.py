"""Retries under the published service config. A call survives a gateway restart: with the gateway
stopped, a call made once the channel has seen it go fails its first attempts UNAVAILABLE, the
gateway starts again on the same port, and a retry succeeds (the test fails with retries off).
The gateway must be back within the policy's backoff (4 attempts from 0.1 s); a grpcio server that
answers UNAVAILABLE once proves the policy itself without timing: retried for ListConnectors, not
for CreateUser."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from bosa.v1 import connector_pb2, connector_pb2_grpc, user_pb2, user_pb2_grpc
from bosa_gateway import SERVICE_CONFIG, AsyncClient, BosaError, Client

from conftest import GatewayProcess

# Reconnect quickly once the gateway is back, so the retries (up to 4 attempts, backoff from 0.1 s)
# find it; the retry policy itself is the published one.
FAST_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 20),
    ("grpc.min_reconnect_backoff_ms", 20),
    ("grpc.max_reconnect_backoff_ms", 50),
]


@pytest.fixture()
def restartable(gateway_binary: str) -> Iterator[GatewayProcess]:
    gw = GatewayProcess(gateway_binary)
    try:
        yield gw
    finally:
        gw.stop()


def test_the_service_config_is_the_published_one() -> None:
    import json
    from pathlib import Path

    published = Path(__file__).resolve().parents[3] / "proto" / "bosa" / "v1" / "service_config.json"
    assert json.loads(SERVICE_CONFIG) == json.loads(published.read_text())
    retried = {n.get("method", "*") for mc in json.loads(SERVICE_CONFIG)["methodConfig"] if "retryPolicy" in mc for n in mc["name"]}
    assert "ListConnectors" in retried and "CreateUser" not in retried


def test_sync_call_survives_a_restart(restartable: GatewayProcess) -> None:
    target = restartable.start("127.0.0.1:0").target
    with Client(target, options=FAST_RECONNECT) as client:
        client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
        restartable.stop()
        # The channel has seen the gateway go: a call now fails its attempts at once.
        with pytest.raises(BosaError) as err:
            client.users.CreateUser(user_pb2.CreateUserRequest(identifier="never"))
        assert err.value.code == grpc.StatusCode.UNAVAILABLE
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            call = pool.submit(client.connectors.ListConnectors, connector_pb2.ListConnectorsRequest())
            restartable.spawn(target)
            listed = call.result(timeout=60)
        assert {"github", "google_drive"} <= {c.name for c in listed.connectors}
        restartable.ready()


def test_async_call_survives_a_restart(restartable: GatewayProcess) -> None:
    target = restartable.start("127.0.0.1:0").target

    async def main() -> None:
        async with AsyncClient(target, options=FAST_RECONNECT) as client:
            await client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
            restartable.stop()
            with pytest.raises(BosaError) as err:
                await client.users.CreateUser(user_pb2.CreateUserRequest(identifier="never"))
            assert err.value.code == grpc.StatusCode.UNAVAILABLE
            call = asyncio.ensure_future(client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest()))
            restartable.spawn(target)
            listed = await asyncio.wait_for(call, 60)
            assert {"github", "google_drive"} <= {c.name for c in listed.connectors}

    asyncio.run(main())
    restartable.ready()


class Flaky(connector_pb2_grpc.ConnectorServiceServicer, user_pb2_grpc.UserServiceServicer):
    """A grpcio server standing in for a gateway that answers UNAVAILABLE to each method's first call."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def _flake(self, method: str, context: grpc.ServicerContext) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        if self.calls[method] == 1:
            context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")

    def ListConnectors(self, request: Any, context: grpc.ServicerContext) -> connector_pb2.ListConnectorsResponse:
        self._flake("ListConnectors", context)
        return connector_pb2.ListConnectorsResponse(connectors=[connector_pb2.Connector(name="github")])

    def CreateUser(self, request: Any, context: grpc.ServicerContext) -> user_pb2.User:
        self._flake("CreateUser", context)
        return user_pb2.User(identifier=request.identifier)


@pytest.fixture()
def flaky() -> Iterator[tuple[str, Flaky]]:
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
    servicer = Flaky()
    connector_pb2_grpc.add_ConnectorServiceServicer_to_server(servicer, server)
    user_pb2_grpc.add_UserServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        server.stop(None)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_the_published_retry_policy_is_applied(flaky: tuple[str, Flaky], flavour: str) -> None:
    """ListConnectors (idempotent) is retried after UNAVAILABLE; CreateUser is not."""
    target, servicer = flaky
    if flavour == "sync":
        with Client(target) as client:
            listed = client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
            with pytest.raises(BosaError) as err:
                client.users.CreateUser(user_pb2.CreateUserRequest(identifier="x"))
    else:

        async def main() -> tuple[connector_pb2.ListConnectorsResponse, pytest.ExceptionInfo[BosaError]]:
            async with AsyncClient(target) as client:
                listed = await client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
                with pytest.raises(BosaError) as err:
                    await client.users.CreateUser(user_pb2.CreateUserRequest(identifier="x"))
                return listed, err

        listed, err = asyncio.run(main())
    assert [c.name for c in listed.connectors] == ["github"]
    assert err.value.code == grpc.StatusCode.UNAVAILABLE
    assert servicer.calls == {"ListConnectors": 2, "CreateUser": 1}

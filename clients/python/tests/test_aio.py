"""AsyncClient (grpc.aio) against the real gateway: the journey the sync client makes."""

from __future__ import annotations

import asyncio
import datetime
import gc
import hashlib
import io
import threading
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import grpc
import pytest

from bosa.v1 import action_pb2, connector_pb2, integration_pb2, user_pb2
from bosa_gateway import AsyncClient, BosaError, ErrorReason, Upload, to_python

from conftest import Callback, Gateway, Stalled

T = TypeVar("T")


def run(gateway: Gateway, body: Callable[[AsyncClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with AsyncClient(gateway.target) as client:
            return await body(client)

    return asyncio.run(main())


async def new_user(client: AsyncClient, identifier: str) -> AsyncClient:
    created = await client.create_user(identifier)
    return await client.authenticated(identifier, created.secret)


async def follow(url: str) -> None:
    """The user's browser: the sandbox's consent page agrees and redirects to the callback."""
    await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).close())


def test_token_and_current_user(gateway: Gateway, identifier: str) -> None:
    async def body(client: AsyncClient) -> None:
        created = await client.create_user(identifier)
        token = await client.authenticate(identifier, created.secret)
        assert token.expire_time > datetime.datetime.now(datetime.timezone.utc)
        me = await client.with_credentials(token=token.token).users.GetCurrentUser(user_pb2.GetCurrentUserRequest())
        assert (me.id, me.identifier) == (created.id, identifier)
        listed = await client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
        assert {"github", "google_drive"} <= {c.name for c in listed.connectors}

    run(gateway, body)


def test_errors_decoded(gateway: Gateway, identifier: str) -> None:
    async def body(client: AsyncClient) -> None:
        alice = await new_user(client, identifier)
        with pytest.raises(BosaError) as err:
            await alice.execute("github", "get_repository", {"owner": "acme", "repo": "web"})
        assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert err.value.error_reason == ErrorReason.INTEGRATION_MISSING
        with pytest.raises(BosaError) as err:
            async for _ in alice.paginate("nope", "x"):
                pass
        assert err.value.error_reason == ErrorReason.NOT_FOUND

    run(gateway, body)


def test_link_paginate_and_cancel(gateway: Gateway, identifier: str, callback: Callback) -> None:
    async def body(client: AsyncClient) -> None:
        alice = await new_user(client, identifier)
        opened: list[str] = []

        def open_url(url: str) -> Awaitable[None]:
            opened.append(url)
            return follow(url)

        await alice.link_integration("github", callback.url, open_url, timeout=30)
        assert len(opened) == 1
        check = integration_pb2.CheckIntegrationRequest(connector="github")
        assert (await alice.integrations.CheckIntegration(check)).has_integration

        counts = [len(to_python(p.data)) async for p in alice.paginate("github", "list_pull_requests", {"owner": "acme", "repo": "web", "state": "all", "per_page": 50})]
        assert counts == [50, 50, 50, 50, 37]

        # Leaving the loop early cancels the stream once the iterator is dropped.
        pages = alice.paginate("github", "list_commits", {"owner": "acme", "repo": "web", "per_page": 10})
        async for page in pages:
            assert page.index == 0
            break
        call = pages._call
        assert call is not None and not call.done()
        del pages
        gc.collect()
        await asyncio.sleep(0)
        assert call.cancelled()
        # ... and at once with async with.
        async with alice.paginate("github", "list_commits", {"owner": "acme", "repo": "web", "per_page": 10}) as s:
            async for page in s:
                break
        assert s._call is not None and s._call.cancelled()
        repo = to_python((await alice.execute("github", "get_repository", {"owner": "acme", "repo": "web"})).data)
        assert repo["full_name"] == "acme/web"

    run(gateway, body)


def test_link_times_out(gateway: Gateway, identifier: str, callback: Callback) -> None:
    async def body(client: AsyncClient) -> None:
        alice = await new_user(client, identifier)
        with pytest.raises(BosaError) as err:
            await alice.link_integration("github", callback.url, lambda url: None, timeout=0.5, poll_initial=0.05)
        assert err.value.code == grpc.StatusCode.DEADLINE_EXCEEDED

    run(gateway, body)


def test_files(gateway: Gateway, identifier: str, callback: Callback, tmp_path: Path) -> None:
    async def body(client: AsyncClient) -> None:
        bob = await new_user(client, identifier)
        await bob.link_integration("google_drive", callback.url, follow, timeout=30)
        path = tmp_path / "sample.bin"
        meta = await bob.download("google_drive", "download_file", {"file_id": "f-1m"}, path)
        assert (meta.filename, meta.size, path.stat().st_size) == ("sample-1MiB.bin", 1 << 20, 1 << 20)

        payload = bytes(range(256)) * 1000
        result = await bob.upload("google_drive", "upload_file", {}, [Upload("file", "copy.bin", "", io.BytesIO(payload))])
        uploaded = to_python(result.data)
        got = await bob.download_bytes("google_drive", "download_file", {"file_id": uploaded["id"]})
        assert hashlib.sha256(got.data).digest() == hashlib.sha256(payload).digest()

        class Broken(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def readinto(self, b: bytearray) -> int:  # type: ignore[override]
                raise OSError("disk on fire")

        with pytest.raises(OSError, match="disk on fire"):
            await bob.upload("google_drive", "upload_file", {}, [Upload("file", "bad.bin", "", Broken())])
        with pytest.raises(BosaError) as err:
            await bob.download_bytes("google_drive", "download_file", {"file_id": "f-nope"})
        assert err.value.error_reason == ErrorReason.NOT_FOUND

    run(gateway, body)


def test_default_deadline(stalled: tuple[str, Stalled]) -> None:
    target, servicer = stalled

    async def main() -> None:
        async with AsyncClient(target, timeout=0.5) as client:
            with pytest.raises(BosaError) as err:
                await client.connectors.ListConnectors(connector_pb2.ListConnectorsRequest())
            assert err.value.code == grpc.StatusCode.DEADLINE_EXCEEDED

    asyncio.run(main())
    # The client's deadline (not the service config's 15 s) reached the server.
    assert len(servicer.remaining) == 1 and servicer.remaining[0] is not None and servicer.remaining[0] <= 0.5


def test_token_refreshed_before_expiry(gateway: Gateway, identifier: str) -> None:
    async def body(client: AsyncClient) -> None:
        created = await client.create_user(identifier)
        expiry = (await client.authenticate(identifier, created.secret)).expire_time
        lifetime = (expiry - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        seen: list[str] = []

        class Record(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
            async def intercept_unary_unary(self, cont, details, request):  # type: ignore[no-untyped-def]
                seen.extend(v for k, v in details.metadata or () if k == "authorization")
                return await cont(details, request)

        async with AsyncClient(gateway.target, interceptors=[Record()]) as rec:
            # Within refresh_before of expiry from the start: every call authenticates again.
            eager = await rec.authenticated(identifier, created.secret, refresh_before=lifetime + 3600)
            lazy = await rec.authenticated(identifier, created.secret, refresh_before=60)
            for c in (eager, eager, lazy, lazy):
                await c.users.GetCurrentUser(user_pb2.GetCurrentUserRequest())
        eager_tokens, lazy_tokens = seen[0:2], seen[2:4]
        assert len(seen) == 4
        assert eager_tokens[0] != eager_tokens[1], "a token about to expire was not refreshed"
        assert lazy_tokens[0] == lazy_tokens[1], "a fresh token was refreshed"

    run(gateway, body)

"""AsyncClient: the bosa.v1 services over one ``grpc.aio`` channel, with the features of
:class:`bosa_gateway.Client` (credentials, default deadline, the published service config,
BosaError, paginate, file helpers, token refresh, account linking) as coroutines."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar, Union, cast

import grpc
from google.protobuf.message import Message

from bosa.v1 import (
    action_pb2,
    action_pb2_grpc,
    connector_pb2_grpc,
    integration_pb2,
    integration_pb2_grpc,
    user_pb2,
    user_pb2_grpc,
)

from . import _common, _files
from ._client import Destination
from ._common import DEFAULT_TIMEOUT, Metadata, Token
from ._errors import BosaError
from ._files import Upload

#: A bearer token, or a coroutine function returning the current one (see :meth:`AsyncClient.authenticated`).
AsyncTokenSource = Union[str, Callable[[], Awaitable[str]]]

_T = TypeVar("_T")


class AsyncClient:
    """A ``grpc.aio`` connection to the BOSA gateway; see :class:`bosa_gateway.Client` for the
    arguments. The stubs ``users``, ``connectors``, ``actions`` and ``integrations`` are the
    generated async stubs: ``await`` unary calls, ``async for`` over streams; failures raise
    :class:`BosaError`. Use it as ``async with``, or ``await close()``.
    """

    users: user_pb2_grpc.UserServiceAsyncStub
    connectors: connector_pb2_grpc.ConnectorServiceAsyncStub
    actions: action_pb2_grpc.ActionServiceAsyncStub
    integrations: integration_pb2_grpc.IntegrationServiceAsyncStub

    def __init__(
        self,
        target: str,
        *,
        api_key: str | None = None,
        token: AsyncTokenSource | None = None,
        integration: str | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] = (),
        timeout: float | None = DEFAULT_TIMEOUT,
        interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
        channel: grpc.aio.Channel | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self._owns_channel = channel is None
        if channel is None:
            opts = _common.channel_options(options)
            channel = (
                grpc.aio.secure_channel(target, credentials, options=opts, interceptors=interceptors)
                if credentials is not None
                else grpc.aio.insecure_channel(target, options=opts, interceptors=interceptors)
            )
        self._channel = channel
        self._api_key, self._token, self._integration = api_key, token, integration
        self._metadata = _common.credential_metadata(api_key, integration)
        self.users = cast("user_pb2_grpc.UserServiceAsyncStub", _Service(user_pb2_grpc.UserServiceStub(channel), self))
        self.connectors = cast(
            "connector_pb2_grpc.ConnectorServiceAsyncStub", _Service(connector_pb2_grpc.ConnectorServiceStub(channel), self)
        )
        self.actions = cast("action_pb2_grpc.ActionServiceAsyncStub", _Service(action_pb2_grpc.ActionServiceStub(channel), self))
        self._upload = action_pb2_grpc.ActionServiceStub(channel).UploadFiles
        self.integrations = cast(
            "integration_pb2_grpc.IntegrationServiceAsyncStub",
            _Service(integration_pb2_grpc.IntegrationServiceStub(channel), self),
        )

    def with_credentials(
        self,
        *,
        token: AsyncTokenSource | None = None,
        integration: str | None = None,
        api_key: str | None = None,
    ) -> AsyncClient:
        """A client on the same channel with other credentials; unset arguments keep this one's."""
        return AsyncClient(
            self.target,
            api_key=api_key if api_key is not None else self._api_key,
            token=token if token is not None else self._token,
            integration=integration if integration is not None else self._integration,
            timeout=self.timeout,
            channel=self._channel,
        )

    async def create_user(self, identifier: str, *, request_id: str = "") -> user_pb2.User:
        """Registers a user; the returned user's ``secret`` is shown only here."""
        return await self.users.CreateUser(user_pb2.CreateUserRequest(identifier=identifier, request_id=request_id))

    async def authenticate(self, identifier: str, secret: str) -> Token:
        """Exchanges a user's identifier and secret for a bearer token and its expiry."""
        req = user_pb2.AuthenticateUserRequest(identifier=identifier, secret=secret)
        return Token.from_response(await self.users.AuthenticateUser(req))

    async def authenticated(self, identifier: str, secret: str, *, refresh_before: float = 60.0) -> AsyncClient:
        """A client acting for the user that authenticates now and again before each call made
        less than ``refresh_before`` seconds before the token expires."""
        anonymous = AsyncClient(
            self.target, api_key=self._api_key, integration=self._integration, timeout=self.timeout, channel=self._channel
        )
        lock = asyncio.Lock()
        current = await anonymous.authenticate(identifier, secret)

        async def token() -> str:
            nonlocal current
            async with lock:
                if current.expires_within(refresh_before):
                    current = await anonymous.authenticate(identifier, secret)
                return current.token

        return self.with_credentials(token=token)

    async def link_integration(
        self,
        connector: str,
        callback_url: str,
        open_url: Callable[[str], object],
        *,
        timeout: float = 300.0,
        poll_initial: float = 0.25,
        poll_max: float = 5.0,
    ) -> None:
        """As :meth:`bosa_gateway.Client.link_integration`; ``open_url`` may return an awaitable."""
        req = integration_pb2.InitiateIntegrationRequest(connector=connector, callback_url=callback_url)
        opened = open_url((await self.integrations.InitiateIntegration(req)).url)
        if isinstance(opened, Awaitable):
            await opened
        deadline = time.monotonic() + timeout
        check = integration_pb2.CheckIntegrationRequest(connector=connector)
        for delay in _common.poll_delays(poll_initial, poll_max):
            if (await self.integrations.CheckIntegration(check)).has_integration:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise BosaError(
                    grpc.StatusCode.DEADLINE_EXCEEDED, f"{connector} was not linked within {timeout:g} seconds"
                )
            await asyncio.sleep(min(delay, left))

    async def execute(
        self,
        connector: str,
        action: str,
        input: Mapping[str, Any] | None = None,
        *,
        files: Iterable[action_pb2.File] = (),
        response_fields: Iterable[str] = (),
        response_filters: Iterable[action_pb2.ResponseFilter] = (),
        max_attempts: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> action_pb2.ExecuteActionResponse:
        """Runs one action; see :meth:`bosa_gateway.Client.execute`."""
        req = _common.execute_request(
            connector, action, input, files, response_fields, response_filters, max_attempts, page_token
        )
        return await self.actions.ExecuteAction(req, timeout=timeout)

    def paginate(
        self,
        connector: str,
        action: str,
        input: Mapping[str, Any] | None = None,
        *,
        max_pages: int = 0,
        direction: action_pb2.Direction.ValueType = action_pb2.DIRECTION_UNSPECIFIED,
        page_token: str = "",
        prefetch: int = 0,
        response_fields: Iterable[str] = (),
        response_filters: Iterable[action_pb2.ResponseFilter] = (),
        max_attempts: int = 0,
        timeout: float | None = None,
    ) -> Stream[action_pb2.PaginateResponse]:
        """The pages of a paged action as an async iterator (``async for page in ...``).
        Leaving the loop early cancels the stream once the iterator is dropped; ``async with``
        or :meth:`Stream.cancel` cancels it at once."""
        req = _common.paginate_request(
            connector, action, input, max_pages, direction, page_token, prefetch, response_fields, response_filters,
            max_attempts,
        )
        return cast(Stream[action_pb2.PaginateResponse], self.actions.Paginate(req, timeout=timeout))

    async def download(
        self,
        connector: str,
        action: str,
        input: Mapping[str, Any] | None,
        dest: Destination,
        *,
        max_attempts: int = 0,
        chunk_size: int = 0,
        timeout: float | None = None,
    ) -> action_pb2.FileMetadata:
        """Streams a file (DownloadFile) into ``dest``, a binary file object or a path; see
        :meth:`bosa_gateway.Client.download`. Writes are synchronous: keep ``dest`` local."""
        req = action_pb2.DownloadFileRequest(
            connector=connector, action=action, input=_common.struct(input), max_attempts=max_attempts,
            chunk_size=chunk_size,
        )
        async with cast(Stream[action_pb2.DownloadFileResponse], self.actions.DownloadFile(req, timeout=timeout)) as s:
            first = await anext(s, None)
            if first is None or first.WhichOneof("part") != "metadata":
                raise BosaError(grpc.StatusCode.INTERNAL, "DownloadFile: the stream did not start with the file's metadata")
            metadata = first.metadata
            if not isinstance(dest, (str, os.PathLike)):
                await _copy(s, metadata, dest.write)
                return metadata
            try:
                with open(dest, "wb") as f:
                    await _copy(s, metadata, f.write)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(dest)
                raise
            return metadata

    async def download_bytes(
        self,
        connector: str,
        action: str,
        input: Mapping[str, Any] | None = None,
        *,
        max_attempts: int = 0,
        timeout: float | None = None,
    ) -> action_pb2.File:
        """Like :meth:`download`, into memory: a ``File`` with the bytes as ``data``."""
        parts: list[bytes] = []
        metadata = await self.download(
            connector, action, input, _Parts(parts), max_attempts=max_attempts, timeout=timeout
        )
        return action_pb2.File(filename=metadata.filename, content_type=metadata.content_type, data=b"".join(parts))

    async def upload(
        self,
        connector: str,
        action: str,
        input: Mapping[str, Any] | None = None,
        files: Iterable[Upload | tuple[str, str, str, _files.Content]] = (),
        *,
        response_fields: Iterable[str] = (),
        response_filters: Iterable[action_pb2.ResponseFilter] = (),
        request_id: str = "",
        timeout: float | None = None,
    ) -> action_pb2.ExecuteActionResponse:
        """Runs an action with streamed file parameters (UploadFiles); see
        :meth:`bosa_gateway.Client.upload`. An exception reading a file cancels the call (no
        ``finish`` is sent, so nothing is stored) and propagates unchanged."""
        sources = [_files.Source(Upload(*f)) for f in files]
        header = action_pb2.UploadFilesHeader(
            connector=connector,
            action=action,
            input=_common.struct(input),
            files=[s.metadata for s in sources],
            response_fields=list(response_fields),
            response_filters=list(response_filters),
            request_id=request_id,
        )
        deadline = timeout if timeout is not None else self.timeout
        call = self._upload(None, timeout=deadline, metadata=await self._call_metadata(None))
        try:
            for req in _files.upload_requests(header, sources):
                await call.write(req)
            await call.done_writing()
            return (await call).result
        except grpc.RpcError as err:
            raise BosaError.from_rpc_error(err) from err
        finally:
            call.cancel()

    async def close(self) -> None:
        """Closes the channel, unless it was passed in."""
        if self._owns_channel:
            await self._channel.close(None)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call_metadata(self, extra: Metadata | None) -> tuple[tuple[str, str], ...]:
        md = self._metadata
        if self._token:
            md += (_common.bearer(self._token if isinstance(self._token, str) else await self._token()),)
        return md + tuple(extra or ())


async def _copy(stream: Stream[action_pb2.DownloadFileResponse], metadata: action_pb2.FileMetadata, write: Callable[[bytes], object]) -> None:
    received = 0
    async for msg in stream:
        if msg.WhichOneof("part") != "chunk":
            raise BosaError(grpc.StatusCode.INTERNAL, "DownloadFile: metadata sent twice")
        received += len(msg.chunk)
        write(msg.chunk)
    if metadata.size >= 0 and received != metadata.size:
        raise BosaError(grpc.StatusCode.DATA_LOSS, f"DownloadFile: received {received} bytes of a file of {metadata.size}")


class Stream(Generic[_T]):
    """A server stream: ``async for`` over its messages; failures raise BosaError. The call is
    cancelled when the stream is left early: by ``async with``'s exit, :meth:`cancel`, or when
    the object is dropped."""

    def __init__(self, start: Callable[[], Awaitable[grpc.aio.UnaryStreamCall[Any, _T]]]) -> None:
        self._start = start
        self._call: grpc.aio.UnaryStreamCall[Any, _T] | None = None
        self._iter: AsyncIterator[_T] | None = None

    def __aiter__(self) -> Stream[_T]:
        return self

    async def __anext__(self) -> _T:
        if self._iter is None:
            self._call = await self._start()
            self._iter = self._call.__aiter__()
        try:
            return await self._iter.__anext__()
        except grpc.RpcError as err:
            raise BosaError.from_rpc_error(err) from err

    def cancel(self) -> None:
        """Cancels the call (a no-op once it ended)."""
        if self._call is not None:
            self._call.cancel()

    async def __aenter__(self) -> Stream[_T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cancel()

    def __del__(self) -> None:
        self.cancel()


class _Service:
    """A generated async stub whose methods send the client's metadata and raise BosaError."""

    def __init__(self, stub: object, client: AsyncClient) -> None:
        self._stub = stub
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)
        streaming = isinstance(method, grpc.aio.UnaryStreamMultiCallable)
        client = self._client

        def call(request: Message, *, timeout: float | None = None, metadata: Metadata | None = None, **kwargs: Any) -> Any:
            deadline = timeout if timeout is not None else client.timeout

            async def start() -> Any:
                md = await client._call_metadata(metadata)
                return method(request, timeout=deadline, metadata=md, **kwargs)

            if streaming:
                return Stream(start)

            async def unary() -> Any:
                try:
                    return await (await start())
                except grpc.RpcError as err:
                    raise BosaError.from_rpc_error(err) from err

            return unary()

        call.__name__ = name
        return call


class _Parts:
    def __init__(self, parts: list[bytes]) -> None:
        self._parts = parts

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        return len(data)

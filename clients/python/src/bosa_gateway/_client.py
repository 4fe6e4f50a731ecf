"""Client: the bosa.v1 services over one gRPC channel, with credentials set once."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, Union, cast

import grpc
from google.protobuf import json_format
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
from ._common import DEFAULT_TIMEOUT, Metadata, Token
from ._errors import BosaError
from ._files import Upload

#: A bearer token, or a function returning the current one (see :meth:`Client.authenticated`).
TokenSource = Union[str, Callable[[], str]]


class Writer(Protocol):
    """Where :meth:`Client.download` writes: anything with a binary ``write``, e.g. an open file."""

    def write(self, data: bytes, /) -> object: ...


Destination = Union[Writer, str, "os.PathLike[str]"]


class Client:
    """A connection to the BOSA gateway.

    ``api_key`` (``x-api-key``), ``token`` (``authorization: Bearer <token>``) and
    ``integration`` (``x-bosa-integration``) are sent with every call. The generated stubs are
    exposed as ``users``, ``connectors``, ``actions`` and ``integrations``: call them with the
    generated request messages; every failure raises :class:`BosaError`, also while iterating a
    stream. :meth:`execute`, :meth:`paginate`, :meth:`download` and :meth:`upload` take plain
    Python values.

    Use it as a context manager, or call :meth:`close`, to close the channel.
    """

    # Typed as the generated stubs (same call signatures), so type checkers see the messages.
    users: user_pb2_grpc.UserServiceStub
    connectors: connector_pb2_grpc.ConnectorServiceStub
    actions: action_pb2_grpc.ActionServiceStub
    integrations: integration_pb2_grpc.IntegrationServiceStub

    def __init__(
        self,
        target: str,
        *,
        api_key: str | None = None,
        token: TokenSource | None = None,
        integration: str | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] = (),
        timeout: float | None = DEFAULT_TIMEOUT,
        channel: grpc.Channel | None = None,
    ) -> None:
        """Connects to ``target`` ("host:port").

        Args:
            target: the gateway's gRPC address.
            api_key: a BOSA client key, when the gateway has none of its own.
            token: a user's bearer token (see :meth:`authenticate`), or a function returning the
                current one (see :meth:`authenticated`).
            integration: the user_identifier of the integration actions should use.
            credentials: TLS channel credentials; plaintext when None.
            options: grpc channel options; the published service config
                (``grpc.service_config``: retries of UNAVAILABLE on idempotent methods,
                per-method deadlines) and ``grpc.enable_retries`` are added unless set here.
            timeout: default deadline of each call, in seconds (30); None leaves only the
                service config's per-method deadlines.
            channel: an existing channel to use instead of dialling ``target`` (not closed by
                :meth:`close`).
        """
        self.target = target
        self.timeout = timeout
        self._owns_channel = channel is None
        if channel is None:
            opts = _common.channel_options(options)
            channel = (
                grpc.secure_channel(target, credentials, options=opts)
                if credentials is not None
                else grpc.insecure_channel(target, options=opts)
            )
        self._channel = channel
        self._api_key, self._token, self._integration = api_key, token, integration
        self._metadata = _common.credential_metadata(api_key, integration)
        self.users = cast(user_pb2_grpc.UserServiceStub, _Service(user_pb2_grpc.UserServiceStub(channel), self))
        self.connectors = cast(
            connector_pb2_grpc.ConnectorServiceStub, _Service(connector_pb2_grpc.ConnectorServiceStub(channel), self)
        )
        self._actions = action_pb2_grpc.ActionServiceStub(channel)
        self.actions = cast(action_pb2_grpc.ActionServiceStub, _Service(self._actions, self))
        self.integrations = cast(
            integration_pb2_grpc.IntegrationServiceStub,
            _Service(integration_pb2_grpc.IntegrationServiceStub(channel), self),
        )

    def with_credentials(
        self,
        *,
        token: TokenSource | None = None,
        integration: str | None = None,
        api_key: str | None = None,
    ) -> Client:
        """A client on the same channel with other credentials; unset arguments keep this one's.

        Closing the new client does not close the shared channel.
        """
        return Client(
            self.target,
            api_key=api_key if api_key is not None else self._api_key,
            token=token if token is not None else self._token,
            integration=integration if integration is not None else self._integration,
            timeout=self.timeout,
            channel=self._channel,
        )

    def create_user(self, identifier: str, *, request_id: str = "") -> user_pb2.User:
        """Registers a user; the returned user's ``secret`` is shown only here.

        ``request_id`` (e.g. ``str(uuid.uuid4())``) makes a retry safe: the same id within the
        gateway's idempotency window gets the first call's answer and creates nothing twice.
        """
        return self.users.CreateUser(user_pb2.CreateUserRequest(identifier=identifier, request_id=request_id))

    def authenticate(self, identifier: str, secret: str) -> Token:
        """Exchanges a user's identifier and secret for a bearer token and its expiry."""
        req = user_pb2.AuthenticateUserRequest(identifier=identifier, secret=secret)
        return Token.from_response(self.users.AuthenticateUser(req))

    def authenticated(self, identifier: str, secret: str, *, refresh_before: float = 60.0) -> Client:
        """A client on the same channel acting for the user, that authenticates now and again
        before each call made less than ``refresh_before`` seconds before the token expires."""
        anonymous = Client(
            self.target, api_key=self._api_key, integration=self._integration, timeout=self.timeout, channel=self._channel
        )
        lock = threading.Lock()
        current = anonymous.authenticate(identifier, secret)

        def token() -> str:
            nonlocal current
            with lock:
                if current.expires_within(refresh_before):
                    current = anonymous.authenticate(identifier, secret)
                return current.token

        return self.with_credentials(token=token)

    def link_integration(
        self,
        connector: str,
        callback_url: str,
        open_url: Callable[[str], object],
        *,
        timeout: float = 300.0,
        poll_initial: float = 0.25,
        poll_max: float = 5.0,
    ) -> None:
        """Links the user's account on ``connector`` (OAuth2): InitiateIntegration, then
        ``open_url(url)`` (send the user's browser there), then polls CheckIntegration with
        exponential backoff until it is true. Raises :class:`BosaError` DEADLINE_EXCEEDED when
        the account is not linked within ``timeout`` seconds."""
        req = integration_pb2.InitiateIntegrationRequest(connector=connector, callback_url=callback_url)
        open_url(self.integrations.InitiateIntegration(req).url)
        deadline = time.monotonic() + timeout
        check = integration_pb2.CheckIntegrationRequest(connector=connector)
        for delay in _common.poll_delays(poll_initial, poll_max):
            if self.integrations.CheckIntegration(check).has_integration:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise BosaError(
                    grpc.StatusCode.DEADLINE_EXCEEDED, f"{connector} was not linked within {timeout:g} seconds"
                )
            time.sleep(min(delay, left))

    def execute(
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
        """Runs one action. ``input`` is the action's parameters as a JSON-like dict.

        The result is ``response.data`` (see :func:`to_python`) or ``response.file``.
        """
        req = _common.execute_request(
            connector, action, input, files, response_fields, response_filters, max_attempts, page_token
        )
        return self.actions.ExecuteAction(req, timeout=timeout)

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
    ) -> Iterator[action_pb2.PaginateResponse]:
        """Iterates over the pages of a paged action, one PaginateResponse per upstream page.

        The stream starts on the first ``next()``; leaving the loop early cancels it.
        """
        req = _common.paginate_request(
            connector, action, input, max_pages, direction, page_token, prefetch, response_fields, response_filters,
            max_attempts,
        )
        return cast(Iterator[action_pb2.PaginateResponse], self.actions.Paginate(req, timeout=timeout))

    def download(
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
        """Runs an action that returns a file (DownloadFile) and streams the file into ``dest``,
        one chunk at a time: a binary file object (written, not closed) or a path (created or
        truncated once the gateway answers with the file, and removed again when the transfer
        fails). Returns the file's metadata (filename, content_type, size).

        An action that answers with JSON instead of a file raises BosaError FAILED_PRECONDITION.
        An exception raised by ``dest.write`` cancels the call and propagates unchanged.
        """
        req = action_pb2.DownloadFileRequest(
            connector=connector, action=action, input=_common.struct(input), max_attempts=max_attempts, chunk_size=chunk_size
        )
        calls = cast(Iterator[action_pb2.DownloadFileResponse], self.actions.DownloadFile(req, timeout=timeout))
        with contextlib.closing(cast(_ClosingIterator, calls)) as stream:
            metadata = _files.read_metadata(stream)
            if not isinstance(dest, (str, os.PathLike)):
                for chunk in _files.chunks(stream, metadata):
                    dest.write(chunk)
                return metadata
            try:
                with open(dest, "wb") as f:
                    for chunk in _files.chunks(stream, metadata):
                        f.write(chunk)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(dest)
                raise
            return metadata

    def download_bytes(
        self,
        connector: str,
        action: str,
        input: Mapping[str, Any] | None = None,
        *,
        max_attempts: int = 0,
        timeout: float | None = None,
    ) -> action_pb2.File:
        """Like :meth:`download`, for files that fit in memory: returns a ``File`` with
        ``filename``, ``content_type`` and the bytes as ``data``."""
        parts: list[bytes] = []
        sink = _ListWriter(parts)
        metadata = self.download(connector, action, input, sink, max_attempts=max_attempts, timeout=timeout)
        return action_pb2.File(filename=metadata.filename, content_type=metadata.content_type, data=b"".join(parts))

    def upload(
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
        """Runs an action with file parameters (UploadFiles), streaming each file's content in
        32 KiB chunks, the last message setting ``finish``; the gateway holds one chunk at a time.
        ``files`` are :class:`Upload` values or ``(parameter, filename, content_type, content)``
        tuples. Returns the action's result, as :meth:`execute` does.

        Sizes of bytes, paths and seekable file objects are declared, so a file that changes
        while it is read fails with INVALID_ARGUMENT instead of uploading other bytes. An
        exception raised while reading a file cancels the call and propagates unchanged; the
        stream then lacks ``finish``, so the upstream action does not run and nothing is stored.
        The call is never retried by the client; retry it with the same ``request_id`` (e.g.
        ``str(uuid.uuid4())``) and a retry within the gateway's idempotency window gets the first
        call's answer instead of uploading again.
        """
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
        # grpcio reads the request iterator on its own thread and turns an exception there into
        # UNKNOWN (and a logged traceback); catch it instead, cancel the call and re-raise it here.
        failure: list[BaseException] = []
        started = threading.Event()
        holder: list[grpc.Future[action_pb2.UploadFilesResponse]] = []

        def requests() -> Iterator[action_pb2.UploadFilesRequest]:
            try:
                yield from _files.upload_requests(header, sources)
            except Exception as err:  # noqa: BLE001 (re-raised by upload)
                failure.append(err)
                started.wait()
                if holder:
                    holder[0].cancel()

        deadline = timeout if timeout is not None else self.timeout
        try:
            call: grpc.Future[action_pb2.UploadFilesResponse] = self._actions.UploadFiles.future(
                requests(), timeout=deadline, metadata=self._call_metadata(None)
            )
            holder.append(call)
        finally:
            started.set()
        try:
            return call.result().result
        except grpc.FutureCancelledError as err:
            if failure:
                raise failure[0] from None
            raise BosaError(grpc.StatusCode.CANCELLED, "UploadFiles was cancelled") from err
        except grpc.RpcError as err:
            if failure:
                raise failure[0] from err
            raise BosaError.from_rpc_error(err) from err
        except BaseException:
            call.cancel()
            raise

    def close(self) -> None:
        """Closes the channel, unless it was passed in."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call_metadata(self, extra: Metadata | None) -> tuple[tuple[str, str], ...]:
        md = self._metadata
        if self._token:
            md += (_common.bearer(self._token if isinstance(self._token, str) else self._token()),)
        return md + tuple(extra or ())


class _Service:
    """A generated stub whose methods send the client's metadata and raise BosaError."""

    def __init__(self, stub: object, client: Client) -> None:
        self._stub = stub
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)
        streaming = isinstance(method, grpc.UnaryStreamMultiCallable)
        client = self._client

        def call(
            request: Message, *, timeout: float | None = None, metadata: Metadata | None = None, **kwargs: Any
        ) -> Any:
            md = client._call_metadata(metadata)
            deadline = timeout if timeout is not None else client.timeout
            if streaming:
                return _stream(method, request, deadline, md, kwargs)
            try:
                return method(request, timeout=deadline, metadata=md, **kwargs)
            except grpc.RpcError as err:
                raise BosaError.from_rpc_error(err) from err

        call.__name__ = name
        call.__doc__ = getattr(method, "__doc__", None)
        return call


def _stream(
    method: Any, request: Message, timeout: float | None, metadata: Metadata, kwargs: dict[str, Any]
) -> Iterator[Any]:
    call = method(request, timeout=timeout, metadata=metadata, **kwargs)
    try:
        for msg in call:
            yield msg
    except grpc.RpcError as err:
        raise BosaError.from_rpc_error(err) from err
    finally:
        call.cancel()


class _ClosingIterator(Iterator[action_pb2.DownloadFileResponse], Protocol):
    """A DownloadFile call: iterated, and closed (cancelled) when left early."""

    def close(self) -> None: ...


class _ListWriter:
    """A write-only binary sink that keeps the chunks it is given."""

    def __init__(self, parts: list[bytes]) -> None:
        self._parts = parts

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        return len(data)


def to_python(message: Message | None) -> Any:
    """Converts a google.protobuf Value, Struct or ListValue (or any message) to plain Python:
    dicts, lists, str, bool, None and numbers (integral numbers as int)."""
    if message is None:
        return None
    return _ints(json_format.MessageToDict(message, preserving_proto_field_name=True))


def _ints(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _ints(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_ints(x) for x in v]
    return v

"""What the sync and asyncio clients share: channel options with the published service config,
credential metadata, request building, the token type and the polling backoff."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from google.protobuf import struct_pb2

from bosa.v1 import action_pb2, user_pb2

#: The gRPC service config published with the API (proto/bosa/v1/service_config.json, packaged by
#: ``make generate``): retries of UNAVAILABLE on idempotent methods and per-method deadlines.
SERVICE_CONFIG: str = resources.files(__package__).joinpath("service_config.json").read_text()

#: Seconds a call may take when neither the call nor the client sets a timeout.
DEFAULT_TIMEOUT = 30.0

Metadata = Sequence[tuple[str, str]]


def channel_options(options: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The caller's channel options, plus the service config and retries unless the caller sets them."""
    given = {key for key, _ in options}
    ours = [("grpc.enable_retries", 1), ("grpc.service_config", SERVICE_CONFIG)]
    return [*options, *((k, v) for k, v in ours if k not in given)]


def credential_metadata(api_key: str | None, integration: str | None) -> tuple[tuple[str, str], ...]:
    """The metadata of the credentials that do not change (the token is added per call)."""
    md: list[tuple[str, str]] = []
    if api_key:
        md.append(("x-api-key", api_key))
    if integration:
        md.append(("x-bosa-integration", integration))
    return tuple(md)


def bearer(token: str) -> tuple[str, str]:
    return ("authorization", f"Bearer {token}")


@dataclass(frozen=True)
class Token:
    """A user's bearer token and when it expires (UTC)."""

    token: str
    expire_time: datetime.datetime

    @classmethod
    def from_response(cls, resp: user_pb2.AuthenticateUserResponse) -> Token:
        return cls(resp.token, resp.expire_time.ToDatetime(tzinfo=datetime.timezone.utc))

    def expires_within(self, seconds: float) -> bool:
        """Whether the token expires in less than ``seconds`` from now."""
        left = self.expire_time - datetime.datetime.now(datetime.timezone.utc)
        return left.total_seconds() < seconds


def poll_delays(initial: float = 0.25, maximum: float = 5.0, factor: float = 2.0) -> Iterator[float]:
    """Exponential backoff between polls: initial, initial*factor, ... capped at maximum."""
    delay = initial
    while True:
        yield delay
        delay = min(delay * factor, maximum)


def struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct | None:
    if value is None:
        return None
    s = struct_pb2.Struct()
    s.update(value)
    return s


def execute_request(
    connector: str,
    action: str,
    input: Mapping[str, Any] | None,
    files: Iterable[action_pb2.File],
    response_fields: Iterable[str],
    response_filters: Iterable[action_pb2.ResponseFilter],
    max_attempts: int,
    page_token: str,
) -> action_pb2.ExecuteActionRequest:
    return action_pb2.ExecuteActionRequest(
        connector=connector,
        action=action,
        input=struct(input),
        files=list(files),
        response_fields=list(response_fields),
        response_filters=list(response_filters),
        max_attempts=max_attempts,
        page_token=page_token,
    )


def paginate_request(
    connector: str,
    action: str,
    input: Mapping[str, Any] | None,
    max_pages: int,
    direction: action_pb2.Direction.ValueType,
    page_token: str,
    prefetch: int,
    response_fields: Iterable[str],
    response_filters: Iterable[action_pb2.ResponseFilter],
    max_attempts: int,
) -> action_pb2.PaginateRequest:
    return action_pb2.PaginateRequest(
        connector=connector,
        action=action,
        input=struct(input),
        max_pages=max_pages,
        direction=direction,
        page_token=page_token,
        prefetch=prefetch,
        response_fields=list(response_fields),
        response_filters=list(response_filters),
        max_attempts=max_attempts,
    )

"""BosaError: a failed gateway call, with its gRPC code and google.rpc.ErrorInfo reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2

from bosa.v1.error_reason_pb2 import ErrorReason

_STATUS_DETAILS_KEY = "grpc-status-details-bin"

#: The ``ErrorInfo.domain`` of the gateway's own errors.
GATEWAY_DOMAIN = "bosa.dev"

# The detail types the gateway sends; others are kept packed as google.protobuf.Any.
_DETAIL_TYPES: tuple[type[Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.RetryInfo,
    error_details_pb2.DebugInfo,
    error_details_pb2.QuotaFailure,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.ResourceInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
)


class BosaError(Exception):
    """A gateway call that failed.

    Branch on ``code`` (a ``grpc.StatusCode``) and ``error_reason`` (the stable
    ``google.rpc.ErrorInfo`` reason as a generated ``bosa.v1.ErrorReason`` constant, e.g.
    ``ErrorReason.INTEGRATION_MISSING``), never on the message.

    Attributes:
        code: the gRPC status code.
        message: the status message (never contains keys or tokens).
        reason: ``ErrorInfo.reason`` as sent, e.g. ``"INTEGRATION_MISSING"``; empty when the status
            carries no ErrorInfo.
        error_reason: ``reason`` as a ``bosa.v1.ErrorReason`` value;
            ``ErrorReason.ERROR_REASON_UNSPECIFIED`` when there is none, the domain is not the
            gateway's, or the reason is newer than this client.
        domain: ``ErrorInfo.domain`` ("bosa.dev" for the gateway's own errors).
        metadata: ``ErrorInfo.metadata``, e.g. ``{"upstream_status": "404"}``.
        details: every status detail, unpacked when its type is a google.rpc error detail
            (ErrorInfo, BadRequest, RetryInfo, ...), else the packed ``google.protobuf.Any``.
        trailing_metadata: the call's trailing metadata.
    """

    code: grpc.StatusCode
    message: str
    reason: str
    error_reason: ErrorReason.ValueType
    domain: str
    metadata: dict[str, str]
    details: list[Message]
    trailing_metadata: tuple[tuple[str, str | bytes], ...]

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        details: Sequence[Message] = (),
        trailing_metadata: Sequence[tuple[str, str | bytes]] = (),
    ) -> None:
        self.code = code
        self.message = message
        self.details = list(details)
        self.trailing_metadata = tuple(trailing_metadata)
        info = self.detail(error_details_pb2.ErrorInfo)
        self.reason = info.reason if info else ""
        self.domain = info.domain if info else ""
        self.metadata = dict(info.metadata) if info else {}
        known = self.domain == GATEWAY_DOMAIN and self.reason in ErrorReason.keys()
        self.error_reason = ErrorReason.Value(self.reason) if known else ErrorReason.ERROR_REASON_UNSPECIFIED
        reason = f" [{self.reason}]" if self.reason else ""
        super().__init__(f"{code.name}{reason}: {message}")

    def detail(self, kind: type[Any]) -> Any:
        """Returns the first detail of type ``kind`` (e.g. ``error_details_pb2.BadRequest``), or None."""
        for d in self.details:
            if isinstance(d, kind):
                return d
        return None

    @property
    def field_violations(self) -> dict[str, str]:
        """The google.rpc.BadRequest field violations as {field: description}; empty when none."""
        bad = self.detail(error_details_pb2.BadRequest)
        return {v.field: v.description for v in bad.field_violations} if bad else {}

    @property
    def retry_delay(self) -> float | None:
        """Seconds to wait before retrying (google.rpc.RetryInfo), or None."""
        info = self.detail(error_details_pb2.RetryInfo)
        return info.retry_delay.ToTimedelta().total_seconds() if info else None

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> BosaError:
        """Builds a BosaError from the exception grpcio raised, decoding grpc-status-details-bin."""
        call: Any = err
        code = call.code() if hasattr(call, "code") else grpc.StatusCode.UNKNOWN
        message = call.details() if hasattr(call, "details") else str(err)
        trailing = tuple(call.trailing_metadata() or ()) if hasattr(call, "trailing_metadata") else ()
        return cls(code, message or "", details=_decode_details(trailing), trailing_metadata=trailing)


def _decode_details(trailing: Sequence[tuple[str, str | bytes]]) -> list[Message]:
    for key, value in trailing:
        if key != _STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            return []
        return [_unpack(a) for a in status.details]
    return []


def _unpack(packed: any_pb2.Any) -> Message:
    for kind in _DETAIL_TYPES:
        if packed.TypeName() == kind.DESCRIPTOR.full_name:
            msg = kind()
            packed.Unpack(msg)
            return msg
    return packed

"""Offline checks of the client layer: error decoding and JSON conversion."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2, struct_pb2
from google.rpc import error_details_pb2, status_pb2

from bosa_gateway import BosaError, to_python


class FakeRpcError(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """What grpcio raises: an RpcError that is also the Call, with code, details and trailers."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, str | bytes], ...]) -> None:
        self._code, self._details, self._trailing = code, details, trailing

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, str | bytes], ...]:  # type: ignore[override]
        return self._trailing

    def initial_metadata(self) -> tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> None:  # type: ignore[override]
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: object) -> bool:
        return False


def _packed(msg: object) -> any_pb2.Any:
    a = any_pb2.Any()
    a.Pack(msg)  # type: ignore[arg-type]
    return a


def test_error_details_are_decoded() -> None:
    status = status_pb2.Status(
        code=8,
        message="slow down",
        details=[
            _packed(error_details_pb2.ErrorInfo(reason="RATE_LIMITED", domain="bosa.dev", metadata={"upstream_status": "429"})),
            _packed(error_details_pb2.BadRequest(field_violations=[error_details_pb2.BadRequest.FieldViolation(field="input.x", description="bad")])),
            _packed(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2, nanos=500_000_000))),
            _packed(struct_pb2.Value(string_value="unknown detail type")),
        ],
    )
    raw = FakeRpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "slow down",
        (("x-other", "v"), ("grpc-status-details-bin", status.SerializeToString())),
    )
    err = BosaError.from_rpc_error(raw)
    assert err.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (err.reason, err.domain, err.metadata) == ("RATE_LIMITED", "bosa.dev", {"upstream_status": "429"})
    assert err.field_violations == {"input.x": "bad"}
    assert err.retry_delay == pytest.approx(2.5)
    assert isinstance(err.details[-1], any_pb2.Any)
    assert str(err) == "RESOURCE_EXHAUSTED [RATE_LIMITED]: slow down"


@pytest.mark.parametrize(
    "trailing",
    [(), (("grpc-status-details-bin", b"\xff\xff not a status"),)],
    ids=["no-details", "garbage-details"],
)
def test_error_without_usable_details(trailing: tuple[tuple[str, bytes], ...]) -> None:
    err = BosaError.from_rpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused", trailing))
    assert (err.code, err.reason, err.metadata, err.details) == (grpc.StatusCode.UNAVAILABLE, "", {}, [])
    assert err.retry_delay is None and err.field_violations == {}


def test_to_python() -> None:
    s = struct_pb2.Struct()
    s.update({"n": 3, "f": 2.5, "l": [1, "x", None, True], "o": {"k": "v"}})
    assert to_python(s) == {"n": 3, "f": 2.5, "l": [1, "x", None, True], "o": {"k": "v"}}
    assert isinstance(to_python(s)["n"], int)
    assert to_python(struct_pb2.Value()) is None
    assert to_python(None) is None

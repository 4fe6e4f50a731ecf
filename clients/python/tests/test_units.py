"""Offline checks of the client layer: error decoding, JSON conversion and file streams."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2, struct_pb2
from google.rpc import error_details_pb2, status_pb2

from bosa.v1 import action_pb2
from bosa_gateway import BosaError, ErrorReason, Upload, _files, to_python

from conftest import Unseekable


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
    assert err.error_reason == ErrorReason.RATE_LIMITED
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
    assert err.error_reason == ErrorReason.ERROR_REASON_UNSPECIFIED
    assert err.retry_delay is None and err.field_violations == {}


@pytest.mark.parametrize(("reason", "domain"), [("SOMETHING_NEWER", "bosa.dev"), ("RATE_LIMITED", "example.com")])
def test_an_unknown_reason_is_unspecified(reason: str, domain: str) -> None:
    status = status_pb2.Status(code=8, message="m", details=[_packed(error_details_pb2.ErrorInfo(reason=reason, domain=domain))])
    err = BosaError.from_rpc_error(
        FakeRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, "m", (("grpc-status-details-bin", status.SerializeToString()),))
    )
    assert (err.reason, err.error_reason) == (reason, ErrorReason.ERROR_REASON_UNSPECIFIED)


def test_to_python() -> None:
    s = struct_pb2.Struct()
    s.update({"n": 3, "f": 2.5, "l": [1, "x", None, True], "o": {"k": "v"}})
    assert to_python(s) == {"n": 3, "f": 2.5, "l": [1, "x", None, True], "o": {"k": "v"}}
    assert isinstance(to_python(s)["n"], int)
    assert to_python(struct_pb2.Value()) is None
    assert to_python(None) is None


def _stream(*files: Upload, chunk_size: int) -> list[action_pb2.UploadFilesRequest]:
    sources = [_files.Source(f) for f in files]
    header = action_pb2.UploadFilesHeader(connector="c", action="a", files=[s.metadata for s in sources])
    return list(_files.upload_requests(header, sources, chunk_size))


def _chunked(msgs: list[action_pb2.UploadFilesRequest]) -> list[tuple[int, bytes]]:
    return [(m.chunk.file_index, m.chunk.data) for m in msgs[1:]]


def test_upload_stream_is_the_header_then_each_files_chunks_in_order(tmp_path: Path) -> None:
    a = bytes(range(256)) * 40 + b"!"  # 10241 bytes: chunks of 4096, 4096, 2049
    b = b"second file"
    path = tmp_path / "b.txt"
    path.write_bytes(b)
    msgs = _stream(
        Upload("file", "a.bin", "application/octet-stream", a),
        Upload("attachments", "b.txt", "text/plain", path),
        Upload("attachments", "empty.txt", "", b""),
        chunk_size=4096,
    )
    assert msgs[0].WhichOneof("part") == "header"
    assert [(f.parameter, f.filename, f.content_type, f.size) for f in msgs[0].header.files] == [
        ("file", "a.bin", "application/octet-stream", 10241),
        ("attachments", "b.txt", "text/plain", len(b)),
        ("attachments", "empty.txt", "", 0),
    ]
    assert all(m.WhichOneof("part") == "chunk" for m in msgs[1:])
    assert _chunked(msgs) == [(0, a[:4096]), (0, a[4096:8192]), (0, a[8192:]), (1, b)]
    # The last chunk (of b.txt: empty.txt has none) ends the stream.
    assert _finishes(msgs) == [len(msgs) - 1]


def _finishes(msgs: list[action_pb2.UploadFilesRequest]) -> list[int]:
    return [i for i, m in enumerate(msgs) if m.finish]


@pytest.mark.parametrize(
    ("files", "parts"),
    [
        pytest.param([], ["header"], id="no files"),
        pytest.param([b"", bytearray()], ["header"], id="empty bytes"),
        pytest.param([b"", io.BytesIO(b"")], ["header", None], id="empty file object"),
        pytest.param([Unseekable(b"")], ["header", None], id="empty stream"),
    ],
)
def test_upload_stream_without_bytes_still_ends_with_finish(files: list[object], parts: list[str | None]) -> None:
    msgs = _stream(*(Upload("file", f"f{i}", "", c) for i, c in enumerate(files)), chunk_size=4096)  # type: ignore[arg-type]
    assert [m.WhichOneof("part") for m in msgs] == parts
    assert _finishes(msgs) == [len(msgs) - 1]


def test_upload_stream_holds_back_one_chunk_only() -> None:
    source = io.BytesIO(b"0123456789abcdef")
    sources = [_files.Source(Upload("file", "f", "", source))]
    stream = _files.upload_requests(action_pb2.UploadFilesHeader(files=[s.metadata for s in sources]), sources, 6)
    assert next(stream).WhichOneof("part") == "header"
    assert source.tell() == 0, "the header waits for no file"
    first = next(stream)
    assert (first.chunk.data, first.finish, source.tell()) == (b"012345", False, 12)
    assert [(m.chunk.data, m.finish) for m in stream] == [(b"6789ab", False), (b"cdef", True)]


@pytest.mark.parametrize(
    ("content", "size"),
    [
        pytest.param(io.BytesIO(b"0123456789abcdef"), 16, id="seekable"),
        pytest.param(Unseekable(b"0123456789abcdef"), -1, id="unseekable"),
        pytest.param(bytearray(b"0123456789abcdef"), 16, id="bytearray"),
        pytest.param(memoryview(b"0123456789abcdef"), 16, id="memoryview"),
    ],
)
def test_upload_sizes_and_file_objects(content: object, size: int) -> None:
    msgs = _stream(Upload("file", "f", "", content), chunk_size=6)  # type: ignore[arg-type]
    assert msgs[0].header.files[0].size == size
    assert b"".join(d for _, d in _chunked(msgs)) == b"0123456789abcdef"
    assert all(len(d) <= 6 for _, d in _chunked(msgs))


def test_upload_reads_a_file_object_from_its_position() -> None:
    f = io.BytesIO(b"skip:payload")
    f.seek(5)
    msgs = _stream(Upload("file", "f", "", f), chunk_size=1024)
    assert msgs[0].header.files[0].size == 7
    assert _chunked(msgs) == [(0, b"payload")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("text, not bytes", "content is a str", id="str"),
        pytest.param(42, "content must be bytes, a binary file object or a path, not int", id="int"),
    ],
)
def test_upload_rejects_content_it_cannot_read(content: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        _files.Source(Upload("file", "f", "", content))  # type: ignore[arg-type]


def test_upload_rejects_a_text_mode_file(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("hello")
    with open(path) as f, pytest.raises(TypeError, match="text mode"):
        _stream(Upload("file", "t.txt", "text/plain", f), chunk_size=1024)  # type: ignore[arg-type]


def _download(*parts: action_pb2.DownloadFileResponse) -> Iterator[action_pb2.DownloadFileResponse]:
    return iter(parts)


def test_download_stream_checks_metadata_and_size() -> None:
    meta = action_pb2.FileMetadata(filename="f.bin", size=6)
    stream = _download(
        action_pb2.DownloadFileResponse(metadata=meta),
        action_pb2.DownloadFileResponse(chunk=b"abc"),
        action_pb2.DownloadFileResponse(chunk=b"def"),
    )
    got = _files.read_metadata(stream)
    assert got == meta
    assert b"".join(_files.chunks(stream, got)) == b"abcdef"

    with pytest.raises(BosaError) as info:
        _files.read_metadata(_download(action_pb2.DownloadFileResponse(chunk=b"abc")))
    assert info.value.code == grpc.StatusCode.INTERNAL
    with pytest.raises(BosaError) as info:
        _files.read_metadata(_download())
    assert info.value.code == grpc.StatusCode.INTERNAL

    short = _download(action_pb2.DownloadFileResponse(chunk=b"abc"))
    with pytest.raises(BosaError) as info:
        list(_files.chunks(short, meta))
    assert info.value.code == grpc.StatusCode.DATA_LOSS
    unknown = action_pb2.FileMetadata(size=-1)
    assert list(_files.chunks(_download(action_pb2.DownloadFileResponse(chunk=b"abc")), unknown)) == [b"abc"]

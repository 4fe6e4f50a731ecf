"""Streamed files (Client.download, download_bytes, upload) against a real sandbox gateway."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from bosa_gateway import BosaError, ErrorReason, Upload, to_python

from conftest import Unseekable, User

# SHA-256 of seeded google_drive files, as the sandbox generates them (sandbox.DemoFileContent).
SEEDED = {
    "f-20m": ("sample-20MiB.bin", "application/octet-stream", 20 << 20,
              "b317f080b7b97f7770177d046e9e674a3b0bca049eaba4b66da1ba987ef4df64"),
    "f-0114": ("budget-0114.txt", "text/plain", 102_866,
               "2589420a1796300504558d8e94c82cc44bccaed635ad7b7092f479b6eed5f4c8"),
}
HELLO = b"Hello from the BOSA sandbox!\n"


class HashingWriter:
    """A write-only sink that hashes what it receives and keeps no bytes."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.size = 0
        self.largest = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        self.largest = max(self.largest, len(data))
        return len(data)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


@pytest.mark.parametrize("file_id", SEEDED)
def test_download_seeded_file_to_a_file_object(connected: User, file_id: str) -> None:
    name, content_type, size, digest = SEEDED[file_id]
    sink = HashingWriter()
    meta = connected.client.download("google_drive", "download_file", {"file_id": file_id}, sink)
    assert (meta.filename, meta.content_type, meta.size) == (name, content_type, size)
    assert (sink.size, sink.sha.hexdigest()) == (size, digest)
    assert sink.largest <= 32 << 10  # written chunk by chunk (the gateway's default chunks)


def test_download_to_a_path(connected: User, tmp_path: Path) -> None:
    dest = tmp_path / "big.bin"
    meta = connected.client.download("google_drive", "download_file", {"file_id": "f-20m"}, dest)
    assert meta.filename == "sample-20MiB.bin"
    assert dest.stat().st_size == 20 << 20
    assert sha256_file(dest) == SEEDED["f-20m"][3]


def test_download_with_a_chunk_size(connected: User) -> None:
    sink = HashingWriter()
    connected.client.download("google_drive", "download_file", {"file_id": "f-0114"}, sink, chunk_size=10_000)
    assert (sink.size, sink.largest) == (102_866, 10_000)
    assert sink.sha.hexdigest() == SEEDED["f-0114"][3]


def test_download_bytes(connected: User) -> None:
    got = connected.client.download_bytes("google_drive", "download_file", {"file_id": "f-hello"})
    assert (got.filename, got.content_type, got.data) == ("hello.txt", "text/plain; charset=utf-8", HELLO)
    empty = connected.client.download_bytes("google_drive", "download_file", {"file_id": "f-empty"})
    assert (empty.filename, empty.data) == ("empty.txt", b"")


PAYLOAD = bytes(range(256)) * 2048 + os.urandom(300_001)  # every byte value, ~25 chunks


def _as_bytes(tmp: Path) -> object:
    return PAYLOAD


def _as_path(tmp: Path) -> object:
    path = tmp / "payload.bin"
    path.write_bytes(PAYLOAD)
    return path


def _as_file(tmp: Path) -> object:
    return io.BytesIO(PAYLOAD)


def _as_unseekable(tmp: Path) -> object:
    return Unseekable(PAYLOAD)


@pytest.mark.parametrize(
    "content", [_as_bytes, _as_path, _as_file, _as_unseekable], ids=["bytes", "path", "file", "unseekable"]
)
def test_upload_then_download_round_trip(connected: User, tmp_path: Path, content: Callable[[Path], object]) -> None:
    name = f"upload-{uuid.uuid4().hex[:8]}.bin"
    res = connected.client.upload(
        "google_drive",
        "upload_file",
        {"name": name, "description": "pytest"},
        [("file", name, "application/x-pytest", content(tmp_path))],
    )
    meta = to_python(res.data)
    assert (meta["name"], meta["size"], meta["mimeType"]) == (name, len(PAYLOAD), "application/x-pytest")
    assert meta["md5Checksum"] == hashlib.md5(PAYLOAD).hexdigest()
    got = connected.client.download_bytes("google_drive", "download_file", {"file_id": meta["id"]})
    assert (got.filename, got.content_type, got.data) == (name, "application/x-pytest", PAYLOAD)


@pytest.mark.parametrize(
    "content",
    [b"", Unseekable(b"")],
    ids=["bytes (finish on the header)", "unseekable (finish in a message of its own)"],
)
def test_upload_an_empty_file(connected: User, content: object) -> None:
    res = connected.client.upload(
        "google_drive", "upload_file", {}, [Upload("file", "nothing.txt", "text/plain", content)]  # type: ignore[arg-type]
    )
    meta = to_python(res.data)
    got = connected.client.download_bytes("google_drive", "download_file", {"file_id": meta["id"]})
    assert (got.filename, got.data) == ("nothing.txt", b"")


def _unknown_file(user: User, tmp: Path) -> None:
    user.client.download("google_drive", "download_file", {"file_id": "f-nope"}, tmp / "never.bin")


def _json_action(user: User, tmp: Path) -> None:
    user.client.download_bytes("google_drive", "list_files", {})


def _upload_unknown_connector(user: User, tmp: Path) -> None:
    user.client.upload("gitlab", "upload_file", {}, [("file", "a.txt", "text/plain", b"a")])


def _upload_not_a_file_parameter(user: User, tmp: Path) -> None:
    user.client.upload("google_drive", "upload_file", {}, [("name", "a.txt", "text/plain", b"a")])


def _upload_without_integration(user: User, tmp: Path) -> None:
    user.client.with_credentials(integration="nobody@example.com").upload(
        "google_drive", "upload_file", {}, [("file", "a.txt", "text/plain", b"a")]
    )


@pytest.mark.parametrize(
    ("call", "code", "reason", "metadata"),
    [
        pytest.param(_unknown_file, grpc.StatusCode.NOT_FOUND, ErrorReason.NOT_FOUND, {"upstream_status": "404"}, id="unknown-file"),
        pytest.param(_json_action, grpc.StatusCode.FAILED_PRECONDITION, ErrorReason.UPSTREAM_ERROR, {}, id="json-action"),
        pytest.param(_upload_unknown_connector, grpc.StatusCode.NOT_FOUND, ErrorReason.NOT_FOUND, {}, id="upload-unknown-connector"),
        pytest.param(_upload_not_a_file_parameter, grpc.StatusCode.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, {},
                     id="upload-not-a-file-parameter"),
        pytest.param(_upload_without_integration, grpc.StatusCode.FAILED_PRECONDITION, ErrorReason.INTEGRATION_MISSING,
                     {"upstream_status": "404"}, id="upload-unknown-integration"),
    ],
)
def test_file_errors_carry_code_and_reason(connected: User, tmp_path: Path, call, code, reason, metadata) -> None:
    with pytest.raises(BosaError) as info:
        call(connected, tmp_path)
    err = info.value
    assert err.code == code, err
    assert err.error_reason == reason
    assert err.domain == "bosa.dev"
    assert metadata.items() <= err.metadata.items()
    assert isinstance(err.__cause__, grpc.RpcError)
    assert list(tmp_path.iterdir()) == []  # a failed download leaves no file behind


class Full(Exception):
    """The destination's own failure."""


class FailingWriter:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes == 2:
            raise Full("disk full")
        return len(data)


def test_a_failing_destination_cancels_the_download(connected: User) -> None:
    sink = FailingWriter()
    with pytest.raises(Full):
        connected.client.download("google_drive", "download_file", {"file_id": "f-20m"}, sink)
    assert sink.writes == 2
    # The call was cancelled, not left running; the client (and its channel) stays usable.
    assert connected.client.download_bytes("google_drive", "download_file", {"file_id": "f-hello"}).data == HELLO


class BrokenReader(Unseekable):
    """A stream that fails after its first chunk (e.g. a dropped network source)."""

    def __init__(self) -> None:
        super().__init__(PAYLOAD)
        self.reads = 0

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        self.reads += 1
        if self.reads > 1:
            raise OSError("source went away")
        return super().readinto(b)


def test_a_failing_source_cancels_the_upload(connected: User) -> None:
    name = f"broken-{uuid.uuid4().hex[:8]}.bin"
    source = BrokenReader()
    with pytest.raises(OSError, match="source went away"):
        connected.client.upload("google_drive", "upload_file", {"name": name}, [Upload("file", name, "", source)])
    assert source.reads == 2
    # The size was unknown (-1), so only the cancellation keeps a truncated file from being stored.
    listed = to_python(connected.client.execute("google_drive", "list_files", {"name_contains": name}).data)
    assert listed == []


def test_an_upload_retried_with_its_request_id_stores_one_file(connected: User) -> None:
    name = f"idem-{uuid.uuid4().hex[:8]}.txt"
    request_id = str(uuid.uuid4())
    first = connected.client.upload("google_drive", "upload_file", {"name": name}, [("file", name, "text/plain", b"once")],
                                    request_id=request_id)
    again = connected.client.upload("google_drive", "upload_file", {"name": name}, [("file", name, "text/plain", b"once")],
                                    request_id=request_id)
    assert again == first
    listed = to_python(connected.client.execute("google_drive", "list_files", {"name_contains": name}).data)
    assert [f["name"] for f in listed] == [name]

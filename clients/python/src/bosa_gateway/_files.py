"""Streamed files: the UploadFiles request stream and the DownloadFile answer stream."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from typing import IO, NamedTuple, Union

import grpc

from bosa.v1 import action_pb2

from ._errors import BosaError

CHUNK_SIZE = 32 * 1024 - 64
"""Bytes per UploadFiles chunk: a message of at most 32 KiB with its framing, the size that holds
the least memory in the gateway (see FileChunk.data)."""

Content = Union[bytes, bytearray, memoryview, IO[bytes], "os.PathLike[str]"]


class Upload(NamedTuple):
    """A file for :meth:`Client.upload`; a plain 4-tuple works as well.

    ``content`` is bytes (or another bytes-like object), a binary file object (read from its
    current position to its end, and not closed) or a path (``os.PathLike``, e.g.
    ``pathlib.Path``; opened and closed by upload). A ``str`` is not accepted as content: pass
    ``pathlib.Path(name)`` for a file name, or ``text.encode()`` for text.
    ``content_type`` "" lets the gateway use application/octet-stream.
    """

    parameter: str
    filename: str
    content_type: str
    content: Content


class Source:
    """One upload's content, its size when known (-1 otherwise) and a way to read it in chunks."""

    def __init__(self, upload: Upload) -> None:
        content = upload.content
        self.metadata = action_pb2.FileMetadata(
            parameter=upload.parameter, filename=upload.filename, content_type=upload.content_type
        )
        self._path: os.PathLike[str] | None = None
        self._data: memoryview | None = None
        self._file: IO[bytes] | None = None
        if isinstance(content, (bytes, bytearray, memoryview)):
            self._data = memoryview(content).cast("B")
            self.metadata.size = self._data.nbytes
        elif isinstance(content, os.PathLike):
            self._path = content
            self.metadata.size = os.stat(content).st_size
        elif isinstance(content, str):
            raise TypeError(
                f"Upload {upload.filename!r}: content is a str; pass pathlib.Path(...) for a file or .encode() text"
            )
        elif callable(getattr(content, "read", None)):
            self._file = content
            self.metadata.size = _remaining(content)
        else:
            raise TypeError(
                f"Upload {upload.filename!r}: content must be bytes, a binary file object or a path, "
                f"not {type(content).__name__}"
            )

    @property
    def empty(self) -> bool:
        """Whether the content is known to have no bytes (only bytes-like content is: a file may grow)."""
        return self._data is not None and self._data.nbytes == 0

    def chunks(self, size: int) -> Iterator[bytes]:
        if self._data is not None:
            for off in range(0, self._data.nbytes, size):
                yield self._data[off : off + size].tobytes()
        elif self._path is not None:
            with open(self._path, "rb") as f:
                yield from _read_chunks(f, size, self.metadata.filename)
        elif self._file is not None:
            yield from _read_chunks(self._file, size, self.metadata.filename)


def _remaining(f: IO[bytes]) -> int:
    """Bytes from a seekable file's position to its end; -1 when it cannot tell."""
    try:
        if not f.seekable():
            return -1
        pos = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(pos)
        return max(end - pos, 0)
    except (OSError, ValueError, AttributeError):
        return -1


def _read_chunks(f: IO[bytes], size: int, filename: str) -> Iterator[bytes]:
    while True:
        data = f.read(size)
        if data is None:
            raise ValueError(f"Upload {filename!r}: the file object is non-blocking; pass a blocking one")
        if isinstance(data, str):
            raise TypeError(f"Upload {filename!r}: the file object is in text mode; open it with 'rb'")
        if not data:
            return
        yield bytes(data)


def upload_requests(
    header: action_pb2.UploadFilesHeader, sources: Sequence[Source], chunk_size: int = CHUNK_SIZE
) -> Iterator[action_pb2.UploadFilesRequest]:
    """The UploadFiles stream: the header, then every file's chunks in header order, with finish
    set on the last message only. Each chunk is sent once the next one was read, so the last chunk
    carries finish; the header does when no file can have bytes, and a message with only finish
    ends a stream whose files turned out empty. A stream cut short (a file that fails to read, a
    cancelled call) thus never carries finish, and the gateway stores nothing."""
    if all(s.empty for s in sources):
        yield action_pb2.UploadFilesRequest(header=header, finish=True)
        return
    yield action_pb2.UploadFilesRequest(header=header)
    last: action_pb2.UploadFilesRequest | None = None
    for index, source in enumerate(sources):
        for data in source.chunks(chunk_size):
            if last is not None:
                yield last
            last = action_pb2.UploadFilesRequest(chunk=action_pb2.FileChunk(file_index=index, data=data))
    if last is None:
        last = action_pb2.UploadFilesRequest()
    last.finish = True
    yield last


def read_metadata(stream: Iterator[action_pb2.DownloadFileResponse]) -> action_pb2.FileMetadata:
    """Reads the first message of a DownloadFile stream, which must be the file's metadata."""
    first = next(stream, None)
    if first is None or first.WhichOneof("part") != "metadata":
        raise BosaError(grpc.StatusCode.INTERNAL, "DownloadFile: the stream did not start with the file's metadata")
    return first.metadata


def chunks(
    stream: Iterator[action_pb2.DownloadFileResponse], metadata: action_pb2.FileMetadata
) -> Iterator[bytes]:
    """The file's bytes from the rest of a DownloadFile stream; checks the total against the
    announced size."""
    received = 0
    for msg in stream:
        if msg.WhichOneof("part") != "chunk":
            raise BosaError(grpc.StatusCode.INTERNAL, "DownloadFile: metadata sent twice")
        received += len(msg.chunk)
        yield msg.chunk
    if metadata.size >= 0 and received != metadata.size:
        raise BosaError(
            grpc.StatusCode.DATA_LOSS,
            f"DownloadFile: received {received} bytes of a file of {metadata.size}",
        )

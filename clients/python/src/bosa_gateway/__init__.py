"""Python client for the BOSA gateway (the bosa.v1 gRPC API).

    from bosa_gateway import Client, BosaError

    with Client("localhost:50051") as client:
        ...

    async with AsyncClient("localhost:50051") as client:  # grpc.aio
        ...

The generated messages and stubs are the ``bosa.v1`` package (``bosa.v1.action_pb2`` ...),
installed with this one.
"""

from bosa.v1.error_reason_pb2 import ErrorReason
from bosa.v1.action_pb2 import (
    DIRECTION_BACKWARD,
    DIRECTION_FORWARD,
    DIRECTION_UNSPECIFIED,
    File,
    FileMetadata,
    ResponseFilter,
)

from ._client import Client, to_python
from ._common import DEFAULT_TIMEOUT, SERVICE_CONFIG, Token
from ._errors import BosaError
from ._files import Upload
from .aio import AsyncClient

__all__ = [
    "AsyncClient",
    "BosaError",
    "Client",
    "DEFAULT_TIMEOUT",
    "DIRECTION_BACKWARD",
    "DIRECTION_FORWARD",
    "DIRECTION_UNSPECIFIED",
    "ErrorReason",
    "File",
    "FileMetadata",
    "ResponseFilter",
    "SERVICE_CONFIG",
    "Token",
    "Upload",
    "to_python",
]

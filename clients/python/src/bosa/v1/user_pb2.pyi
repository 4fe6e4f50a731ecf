import datetime

from bosa.v1 import integration_pb2 as _integration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateUserRequest(_message.Message):
    __slots__ = ("identifier",)
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    def __init__(self, identifier: _Optional[str] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class AuthenticateUserRequest(_message.Message):
    __slots__ = ("identifier", "secret")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    secret: str
    def __init__(self, identifier: _Optional[str] = ..., secret: _Optional[str] = ...) -> None: ...

class AuthenticateUserResponse(_message.Message):
    __slots__ = ("token", "token_type", "expires_at", "is_revoked", "user_id", "client_id")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    IS_REVOKED_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_type: str
    expires_at: _timestamp_pb2.Timestamp
    is_revoked: bool
    user_id: str
    client_id: str
    def __init__(self, token: _Optional[str] = ..., token_type: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_revoked: _Optional[bool] = ..., user_id: _Optional[str] = ..., client_id: _Optional[str] = ...) -> None: ...

class GetCurrentUserRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCurrentUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "client_id", "identifier", "secret", "secret_preview", "is_active", "integrations")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    SECRET_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    client_id: str
    identifier: str
    secret: str
    secret_preview: str
    is_active: bool
    integrations: _containers.RepeatedCompositeFieldContainer[_integration_pb2.Integration]
    def __init__(self, id: _Optional[str] = ..., client_id: _Optional[str] = ..., identifier: _Optional[str] = ..., secret: _Optional[str] = ..., secret_preview: _Optional[str] = ..., is_active: _Optional[bool] = ..., integrations: _Optional[_Iterable[_Union[_integration_pb2.Integration, _Mapping]]] = ...) -> None: ...

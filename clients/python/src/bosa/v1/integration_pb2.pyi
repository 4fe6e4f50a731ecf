from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Integration(_message.Message):
    __slots__ = ("id", "client_id", "user_id", "connector", "user_identifier", "selected", "auth_string", "auth_string_redacted", "auth_scopes")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    SELECTED_FIELD_NUMBER: _ClassVar[int]
    AUTH_STRING_FIELD_NUMBER: _ClassVar[int]
    AUTH_STRING_REDACTED_FIELD_NUMBER: _ClassVar[int]
    AUTH_SCOPES_FIELD_NUMBER: _ClassVar[int]
    id: str
    client_id: str
    user_id: str
    connector: str
    user_identifier: str
    selected: bool
    auth_string: str
    auth_string_redacted: bool
    auth_scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., client_id: _Optional[str] = ..., user_id: _Optional[str] = ..., connector: _Optional[str] = ..., user_identifier: _Optional[str] = ..., selected: _Optional[bool] = ..., auth_string: _Optional[str] = ..., auth_string_redacted: _Optional[bool] = ..., auth_scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckIntegrationRequest(_message.Message):
    __slots__ = ("connector",)
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    connector: str
    def __init__(self, connector: _Optional[str] = ...) -> None: ...

class CheckIntegrationResponse(_message.Message):
    __slots__ = ("has_integration",)
    HAS_INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    has_integration: bool
    def __init__(self, has_integration: _Optional[bool] = ...) -> None: ...

class InitiateIntegrationRequest(_message.Message):
    __slots__ = ("connector", "callback_url")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_URL_FIELD_NUMBER: _ClassVar[int]
    connector: str
    callback_url: str
    def __init__(self, connector: _Optional[str] = ..., callback_url: _Optional[str] = ...) -> None: ...

class InitiateIntegrationResponse(_message.Message):
    __slots__ = ("url",)
    URL_FIELD_NUMBER: _ClassVar[int]
    url: str
    def __init__(self, url: _Optional[str] = ...) -> None: ...

class ConfigureIntegrationRequest(_message.Message):
    __slots__ = ("connector", "configuration")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    connector: str
    configuration: _struct_pb2.Struct
    def __init__(self, connector: _Optional[str] = ..., configuration: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ConfigureIntegrationResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _struct_pb2.Struct
    def __init__(self, result: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListIntegrationsRequest(_message.Message):
    __slots__ = ("connector",)
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    connector: str
    def __init__(self, connector: _Optional[str] = ...) -> None: ...

class ListIntegrationsResponse(_message.Message):
    __slots__ = ("integrations",)
    INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    integrations: _containers.RepeatedCompositeFieldContainer[Integration]
    def __init__(self, integrations: _Optional[_Iterable[_Union[Integration, _Mapping]]] = ...) -> None: ...

class GetIntegrationRequest(_message.Message):
    __slots__ = ("connector", "user_identifier")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    connector: str
    user_identifier: str
    def __init__(self, connector: _Optional[str] = ..., user_identifier: _Optional[str] = ...) -> None: ...

class GetIntegrationResponse(_message.Message):
    __slots__ = ("integration",)
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    integration: Integration
    def __init__(self, integration: _Optional[_Union[Integration, _Mapping]] = ...) -> None: ...

class SelectIntegrationRequest(_message.Message):
    __slots__ = ("connector", "user_identifier")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    connector: str
    user_identifier: str
    def __init__(self, connector: _Optional[str] = ..., user_identifier: _Optional[str] = ...) -> None: ...

class SelectIntegrationResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class RemoveIntegrationRequest(_message.Message):
    __slots__ = ("connector", "user_identifier")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    connector: str
    user_identifier: str
    def __init__(self, connector: _Optional[str] = ..., user_identifier: _Optional[str] = ...) -> None: ...

class RemoveIntegrationResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

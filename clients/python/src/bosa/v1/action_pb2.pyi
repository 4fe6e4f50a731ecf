from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_FORWARD: _ClassVar[Direction]
    DIRECTION_BACKWARD: _ClassVar[Direction]

class ResponseFilterType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSE_FILTER_TYPE_UNSPECIFIED: _ClassVar[ResponseFilterType]
    RESPONSE_FILTER_TYPE_STRING: _ClassVar[ResponseFilterType]
    RESPONSE_FILTER_TYPE_STRING_LIST: _ClassVar[ResponseFilterType]
    RESPONSE_FILTER_TYPE_NUMBER: _ClassVar[ResponseFilterType]
    RESPONSE_FILTER_TYPE_NUMBER_LIST: _ClassVar[ResponseFilterType]
    RESPONSE_FILTER_TYPE_NUMBER_RANGE: _ClassVar[ResponseFilterType]
    RESPONSE_FILTER_TYPE_DATE_RANGE: _ClassVar[ResponseFilterType]
DIRECTION_UNSPECIFIED: Direction
DIRECTION_FORWARD: Direction
DIRECTION_BACKWARD: Direction
RESPONSE_FILTER_TYPE_UNSPECIFIED: ResponseFilterType
RESPONSE_FILTER_TYPE_STRING: ResponseFilterType
RESPONSE_FILTER_TYPE_STRING_LIST: ResponseFilterType
RESPONSE_FILTER_TYPE_NUMBER: ResponseFilterType
RESPONSE_FILTER_TYPE_NUMBER_LIST: ResponseFilterType
RESPONSE_FILTER_TYPE_NUMBER_RANGE: ResponseFilterType
RESPONSE_FILTER_TYPE_DATE_RANGE: ResponseFilterType

class ExecuteActionRequest(_message.Message):
    __slots__ = ("connector", "action", "input", "files", "response_fields", "response_filters", "max_attempts", "page_token")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELDS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FILTERS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    connector: str
    action: str
    input: _struct_pb2.Struct
    files: _containers.RepeatedCompositeFieldContainer[File]
    response_fields: _containers.RepeatedScalarFieldContainer[str]
    response_filters: _containers.RepeatedCompositeFieldContainer[ResponseFilter]
    max_attempts: int
    page_token: str
    def __init__(self, connector: _Optional[str] = ..., action: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., files: _Optional[_Iterable[_Union[File, _Mapping]]] = ..., response_fields: _Optional[_Iterable[str]] = ..., response_filters: _Optional[_Iterable[_Union[ResponseFilter, _Mapping]]] = ..., max_attempts: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ExecuteActionResponse(_message.Message):
    __slots__ = ("data", "file", "meta", "upstream_status", "next_page_token", "prev_page_token")
    DATA_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PREV_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    data: _struct_pb2.Value
    file: File
    meta: _struct_pb2.Struct
    upstream_status: int
    next_page_token: str
    prev_page_token: str
    def __init__(self, data: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., file: _Optional[_Union[File, _Mapping]] = ..., meta: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., upstream_status: _Optional[int] = ..., next_page_token: _Optional[str] = ..., prev_page_token: _Optional[str] = ...) -> None: ...

class PaginateRequest(_message.Message):
    __slots__ = ("connector", "action", "input", "files", "response_fields", "response_filters", "max_attempts", "direction", "max_pages", "page_token", "prefetch")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELDS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FILTERS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    MAX_PAGES_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PREFETCH_FIELD_NUMBER: _ClassVar[int]
    connector: str
    action: str
    input: _struct_pb2.Struct
    files: _containers.RepeatedCompositeFieldContainer[File]
    response_fields: _containers.RepeatedScalarFieldContainer[str]
    response_filters: _containers.RepeatedCompositeFieldContainer[ResponseFilter]
    max_attempts: int
    direction: Direction
    max_pages: int
    page_token: str
    prefetch: int
    def __init__(self, connector: _Optional[str] = ..., action: _Optional[str] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., files: _Optional[_Iterable[_Union[File, _Mapping]]] = ..., response_fields: _Optional[_Iterable[str]] = ..., response_filters: _Optional[_Iterable[_Union[ResponseFilter, _Mapping]]] = ..., max_attempts: _Optional[int] = ..., direction: _Optional[_Union[Direction, str]] = ..., max_pages: _Optional[int] = ..., page_token: _Optional[str] = ..., prefetch: _Optional[int] = ...) -> None: ...

class PaginateResponse(_message.Message):
    __slots__ = ("index", "data", "meta", "has_next", "has_prev", "page_token", "upstream_status")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_FIELD_NUMBER: _ClassVar[int]
    HAS_PREV_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_STATUS_FIELD_NUMBER: _ClassVar[int]
    index: int
    data: _struct_pb2.Value
    meta: _struct_pb2.Struct
    has_next: bool
    has_prev: bool
    page_token: str
    upstream_status: int
    def __init__(self, index: _Optional[int] = ..., data: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., meta: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., has_next: _Optional[bool] = ..., has_prev: _Optional[bool] = ..., page_token: _Optional[str] = ..., upstream_status: _Optional[int] = ...) -> None: ...

class File(_message.Message):
    __slots__ = ("parameter", "filename", "content_type", "data")
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    parameter: str
    filename: str
    content_type: str
    data: bytes
    def __init__(self, parameter: _Optional[str] = ..., filename: _Optional[str] = ..., content_type: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class ResponseFilter(_message.Message):
    __slots__ = ("type", "field_name", "root", "value", "values", "ignore_case", "from_value", "to_value", "from_date", "to_date")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    IGNORE_CASE_FIELD_NUMBER: _ClassVar[int]
    FROM_VALUE_FIELD_NUMBER: _ClassVar[int]
    TO_VALUE_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    type: ResponseFilterType
    field_name: str
    root: str
    value: _struct_pb2.Value
    values: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    ignore_case: bool
    from_value: float
    to_value: float
    from_date: str
    to_date: str
    def __init__(self, type: _Optional[_Union[ResponseFilterType, str]] = ..., field_name: _Optional[str] = ..., root: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., values: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., ignore_case: _Optional[bool] = ..., from_value: _Optional[float] = ..., to_value: _Optional[float] = ..., from_date: _Optional[str] = ..., to_date: _Optional[str] = ...) -> None: ...

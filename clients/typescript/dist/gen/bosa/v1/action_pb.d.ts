import type { GenEnum, GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Value } from "@bufbuild/protobuf/wkt";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file bosa/v1/action.proto.
 */
export declare const file_bosa_v1_action: GenFile;
/**
 * ExecuteActionRequest runs one action.
 *
 * @generated from message bosa.v1.ExecuteActionRequest
 */
export type ExecuteActionRequest = Message<"bosa.v1.ExecuteActionRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
    /**
     * Action name, e.g. "list_pull_requests".
     *
     * @generated from field: string action = 2;
     */
    action: string;
    /**
     * The action's parameters as one JSON object, validated against the action's
     * schema (see ConnectorService.GetConnector) before anything is sent
     * upstream. Ignored when page_token is set: the token carries them.
     *
     * @generated from field: google.protobuf.Struct input = 3;
     */
    input?: JsonObject | undefined;
    /**
     * Files for the action's binary parameters. Several files may name the same
     * parameter when it takes a list of files.
     *
     * @generated from field: repeated bosa.v1.File files = 4;
     */
    files: File[];
    /**
     * Dot paths of the fields to keep in each item of data, e.g. "user.login".
     * Empty keeps everything.
     *
     * @generated from field: repeated string response_fields = 5;
     */
    responseFields: string[];
    /**
     * Filters applied upstream to data before response_fields; all must match.
     *
     * @generated from field: repeated bosa.v1.ResponseFilter response_filters = 6;
     */
    responseFilters: ResponseFilter[];
    /**
     * Attempts for transient upstream failures (429, 503, network errors);
     * 0 uses the gateway default, 1 disables retries.
     *
     * @generated from field: int32 max_attempts = 7;
     */
    maxAttempts: number;
    /**
     * A next_page_token or prev_page_token from an earlier response for the same
     * connector and action. It replaces input; a token that was altered or was
     * issued for another action is INVALID_ARGUMENT.
     *
     * @generated from field: string page_token = 8;
     */
    pageToken: string;
};
/**
 * Describes the message bosa.v1.ExecuteActionRequest.
 * Use `create(ExecuteActionRequestSchema)` to create a new message.
 */
export declare const ExecuteActionRequestSchema: GenMessage<ExecuteActionRequest>;
/**
 * ExecuteActionResponse is the result of one action.
 *
 * @generated from message bosa.v1.ExecuteActionResponse
 */
export type ExecuteActionResponse = Message<"bosa.v1.ExecuteActionResponse"> & {
    /**
     * The action's result: JSON data, or a file for actions that return one.
     *
     * @generated from oneof bosa.v1.ExecuteActionResponse.result
     */
    result: {
        /**
         * The upstream's data: an object, or an array when the action lists items.
         *
         * @generated from field: google.protobuf.Value data = 1;
         */
        value: Value;
        case: "data";
    } | {
        /**
         * The file the action returned. Its parameter field is empty.
         *
         * @generated from field: bosa.v1.File file = 2;
         */
        value: File;
        case: "file";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * The upstream's meta object, e.g. paging fields such as page, total,
     * has_next. Absent when the upstream sent none.
     *
     * @generated from field: google.protobuf.Struct meta = 3;
     */
    meta?: JsonObject | undefined;
    /**
     * HTTP status of the upstream response.
     *
     * @generated from field: int32 upstream_status = 4;
     */
    upstreamStatus: number;
    /**
     * Opaque token for the next page; empty when there is none.
     *
     * @generated from field: string next_page_token = 5;
     */
    nextPageToken: string;
    /**
     * Opaque token for the previous page; empty when there is none.
     *
     * @generated from field: string prev_page_token = 6;
     */
    prevPageToken: string;
};
/**
 * Describes the message bosa.v1.ExecuteActionResponse.
 * Use `create(ExecuteActionResponseSchema)` to create a new message.
 */
export declare const ExecuteActionResponseSchema: GenMessage<ExecuteActionResponse>;
/**
 * PaginateRequest streams the pages of a paged action.
 *
 * @generated from message bosa.v1.PaginateRequest
 */
export type PaginateRequest = Message<"bosa.v1.PaginateRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
    /**
     * Action name, e.g. "list_pull_requests".
     *
     * @generated from field: string action = 2;
     */
    action: string;
    /**
     * The parameters of the first page, as in ExecuteActionRequest.input.
     * Ignored when page_token is set.
     *
     * @generated from field: google.protobuf.Struct input = 3;
     */
    input?: JsonObject | undefined;
    /**
     * Files for binary parameters, as in ExecuteActionRequest.files.
     *
     * @generated from field: repeated bosa.v1.File files = 4;
     */
    files: File[];
    /**
     * Dot paths of the fields to keep, as in ExecuteActionRequest.
     *
     * @generated from field: repeated string response_fields = 5;
     */
    responseFields: string[];
    /**
     * Filters applied to each page, as in ExecuteActionRequest.
     *
     * @generated from field: repeated bosa.v1.ResponseFilter response_filters = 6;
     */
    responseFilters: ResponseFilter[];
    /**
     * Attempts per page for transient upstream failures; 0 uses the default.
     *
     * @generated from field: int32 max_attempts = 7;
     */
    maxAttempts: number;
    /**
     * Which way to walk. Unspecified walks forward.
     *
     * @generated from field: bosa.v1.Direction direction = 8;
     */
    direction: Direction;
    /**
     * Stop after this many pages; 0 means no limit other than the gateway's.
     *
     * @generated from field: int32 max_pages = 9;
     */
    maxPages: number;
    /**
     * Where to start: a PaginateResponse.page_token (resumes after that page),
     * or a next/prev token from ExecuteActionResponse. Replaces input.
     *
     * @generated from field: string page_token = 10;
     */
    pageToken: string;
    /**
     * Pages fetched ahead while the caller consumes earlier ones; 0 fetches each
     * page only after the previous one was sent. Capped by the gateway.
     *
     * @generated from field: int32 prefetch = 11;
     */
    prefetch: number;
};
/**
 * Describes the message bosa.v1.PaginateRequest.
 * Use `create(PaginateRequestSchema)` to create a new message.
 */
export declare const PaginateRequestSchema: GenMessage<PaginateRequest>;
/**
 * PaginateResponse is one upstream page.
 *
 * @generated from message bosa.v1.PaginateResponse
 */
export type PaginateResponse = Message<"bosa.v1.PaginateResponse"> & {
    /**
     * Zero-based position of the page in this stream.
     *
     * @generated from field: int32 index = 1;
     */
    index: number;
    /**
     * The page's data, usually an array of items.
     *
     * @generated from field: google.protobuf.Value data = 2;
     */
    data?: Value | undefined;
    /**
     * The page's meta object (page numbers or cursors, totals).
     *
     * @generated from field: google.protobuf.Struct meta = 3;
     */
    meta?: JsonObject | undefined;
    /**
     * Whether the upstream reports a page after this one.
     *
     * @generated from field: bool has_next = 4;
     */
    hasNext: boolean;
    /**
     * Whether the upstream reports a page before this one.
     *
     * @generated from field: bool has_prev = 5;
     */
    hasPrev: boolean;
    /**
     * Opaque token to resume after this page in the same direction; send it as
     * PaginateRequest.page_token. Empty when there is no further page.
     *
     * @generated from field: string page_token = 6;
     */
    pageToken: string;
    /**
     * HTTP status of the upstream response.
     *
     * @generated from field: int32 upstream_status = 7;
     */
    upstreamStatus: number;
};
/**
 * Describes the message bosa.v1.PaginateResponse.
 * Use `create(PaginateResponseSchema)` to create a new message.
 */
export declare const PaginateResponseSchema: GenMessage<PaginateResponse>;
/**
 * File is a file sent to or returned by an action.
 *
 * @generated from message bosa.v1.File
 */
export type File = Message<"bosa.v1.File"> & {
    /**
     * Name of the action parameter the file is for. Empty in responses.
     *
     * @generated from field: string parameter = 1;
     */
    parameter: string;
    /**
     * File name, e.g. "q3-report.pdf".
     *
     * @generated from field: string filename = 2;
     */
    filename: string;
    /**
     * MIME type, e.g. "application/pdf". Defaults to application/octet-stream.
     *
     * @generated from field: string content_type = 3;
     */
    contentType: string;
    /**
     * The file's content. In JSON this is base64.
     *
     * @generated from field: bytes data = 4;
     */
    data: Uint8Array;
};
/**
 * Describes the message bosa.v1.File.
 * Use `create(FileSchema)` to create a new message.
 */
export declare const FileSchema: GenMessage<File>;
/**
 * ResponseFilter is one of BOSA's response filters; see the upstream's
 * documentation of response_filters for the exact semantics.
 *
 * It is one flat message with a type discriminator rather than a oneof of a
 * message per kind on purpose: it mirrors the upstream's filter objects field
 * for field, so BOSA's documentation and JSON examples apply unchanged (only
 * type is an enum name over REST), clients build every kind with one
 * constructor, and new upstream fields can be added without new types. Fields
 * that do not apply to the chosen type must be left unset; the gateway rejects
 * filters that lack a field their type requires.
 *
 * @generated from message bosa.v1.ResponseFilter
 */
export type ResponseFilter = Message<"bosa.v1.ResponseFilter"> & {
    /**
     * Kind of comparison. Required.
     *
     * @generated from field: bosa.v1.ResponseFilterType type = 1;
     */
    type: ResponseFilterType;
    /**
     * Field of each item to compare; may be a dot path. Required.
     *
     * @generated from field: string field_name = 2;
     */
    fieldName: string;
    /**
     * Optional dot path to an array inside each item to filter in place, instead
     * of filtering the items of data themselves.
     *
     * @generated from field: string root = 3;
     */
    root: string;
    /**
     * Value to compare with: a string for STRING, a number for NUMBER.
     *
     * @generated from field: google.protobuf.Value value = 4;
     */
    value?: Value | undefined;
    /**
     * Accepted values: strings for STRING_LIST, numbers for NUMBER_LIST. An
     * empty list disables the filter.
     *
     * @generated from field: repeated google.protobuf.Value values = 5;
     */
    values: Value[];
    /**
     * String comparisons ignore case unless this is set to false.
     *
     * @generated from field: optional bool ignore_case = 6;
     */
    ignoreCase?: boolean | undefined;
    /**
     * Inclusive lower bound for NUMBER_RANGE; unset is open.
     *
     * @generated from field: optional double from_value = 7;
     */
    fromValue?: number | undefined;
    /**
     * Inclusive upper bound for NUMBER_RANGE; unset is open.
     *
     * @generated from field: optional double to_value = 8;
     */
    toValue?: number | undefined;
    /**
     * Inclusive lower bound for DATE_RANGE: "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS"
     * or RFC 3339; empty is open.
     *
     * @generated from field: string from_date = 9;
     */
    fromDate: string;
    /**
     * Inclusive upper bound for DATE_RANGE; a bare date covers the whole day;
     * empty is open.
     *
     * @generated from field: string to_date = 10;
     */
    toDate: string;
};
/**
 * Describes the message bosa.v1.ResponseFilter.
 * Use `create(ResponseFilterSchema)` to create a new message.
 */
export declare const ResponseFilterSchema: GenMessage<ResponseFilter>;
/**
 * Direction is the way Paginate walks through pages.
 *
 * @generated from enum bosa.v1.Direction
 */
export declare enum Direction {
    /**
     * Walks forward.
     *
     * @generated from enum value: DIRECTION_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Follows next pages (has_next, forwards_cursor or page + 1).
     *
     * @generated from enum value: DIRECTION_FORWARD = 1;
     */
    FORWARD = 1,
    /**
     * Follows previous pages (has_prev, backwards_cursor or page - 1).
     *
     * @generated from enum value: DIRECTION_BACKWARD = 2;
     */
    BACKWARD = 2
}
/**
 * Describes the enum bosa.v1.Direction.
 */
export declare const DirectionSchema: GenEnum<Direction>;
/**
 * ResponseFilterType is the kind of a ResponseFilter.
 *
 * @generated from enum bosa.v1.ResponseFilterType
 */
export declare enum ResponseFilterType {
    /**
     * Invalid; a filter must name its type.
     *
     * @generated from enum value: RESPONSE_FILTER_TYPE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * The field is a string equal to value.
     *
     * @generated from enum value: RESPONSE_FILTER_TYPE_STRING = 1;
     */
    STRING = 1,
    /**
     * The field is a string equal to one of values.
     *
     * @generated from enum value: RESPONSE_FILTER_TYPE_STRING_LIST = 2;
     */
    STRING_LIST = 2,
    /**
     * The field is a number equal to value.
     *
     * @generated from enum value: RESPONSE_FILTER_TYPE_NUMBER = 3;
     */
    NUMBER = 3,
    /**
     * The field is a number equal to one of values.
     *
     * @generated from enum value: RESPONSE_FILTER_TYPE_NUMBER_LIST = 4;
     */
    NUMBER_LIST = 4,
    /**
     * The field is a number between from_value and to_value.
     *
     * @generated from enum value: RESPONSE_FILTER_TYPE_NUMBER_RANGE = 5;
     */
    NUMBER_RANGE = 5,
    /**
     * The field is a date between from_date and to_date.
     *
     * @generated from enum value: RESPONSE_FILTER_TYPE_DATE_RANGE = 6;
     */
    DATE_RANGE = 6
}
/**
 * Describes the enum bosa.v1.ResponseFilterType.
 */
export declare const ResponseFilterTypeSchema: GenEnum<ResponseFilterType>;
/**
 * ActionService runs connector actions.
 *
 * Caller credentials travel as metadata (HTTP headers over REST):
 * `authorization: Bearer <user token>` for actions that act for a user,
 * `x-api-key` to use another BOSA client key than the gateway's own (required
 * when the gateway has none), and `x-bosa-integration` to pick one of the
 * user's integrations for this call without changing the default.
 *
 * @generated from service bosa.v1.ActionService
 */
export declare const ActionService: GenService<{
    /**
     * ExecuteAction runs one action and returns its result: JSON data or a file.
     * When the result is a page, the response carries opaque page tokens; send
     * one back as page_token (with the same connector and action) to fetch the
     * neighbouring page.
     *
     * @generated from rpc bosa.v1.ActionService.ExecuteAction
     */
    executeAction: {
        methodKind: "unary";
        input: typeof ExecuteActionRequestSchema;
        output: typeof ExecuteActionResponseSchema;
    };
    /**
     * Paginate runs a paged action and streams one message per upstream page,
     * following the upstream's page numbers or cursors, until there are no more
     * pages, max_pages is reached or the caller cancels. Over REST the stream is
     * newline-delimited JSON, one {"result": PaginateResponse} per line.
     *
     * @generated from rpc bosa.v1.ActionService.Paginate
     */
    paginate: {
        methodKind: "server_streaming";
        input: typeof PaginateRequestSchema;
        output: typeof PaginateResponseSchema;
    };
}>;

import { Code, ConnectError } from "@connectrpc/connect";
/**
 * A failed gateway call. Branch on `code` and `reason` (the stable google.rpc.ErrorInfo
 * reason, e.g. "INTEGRATION_MISSING"), never on the message. `cause` is the ConnectError,
 * which holds the response headers and trailers.
 */
export declare class BosaError extends Error {
    readonly name = "BosaError";
    /** The gRPC status code (Connect's Code enum has the gRPC numbers; Code[err.code] names it). */
    readonly code: Code;
    /** The status message without the code prefix; never contains keys or tokens. */
    readonly rawMessage: string;
    /** ErrorInfo.reason; "" when the status carries no ErrorInfo. */
    readonly reason: string;
    /** ErrorInfo.domain ("bosa.dev" for the gateway's own errors). */
    readonly domain: string;
    /** ErrorInfo.metadata, e.g. { upstream_status: "404" }. */
    readonly metadata: Readonly<Record<string, string>>;
    /** google.rpc.BadRequest field violations as { field: description }. */
    readonly fieldViolations: Readonly<Record<string, string>>;
    /** Milliseconds to wait before retrying (google.rpc.RetryInfo), or undefined. */
    readonly retryDelayMs: number | undefined;
    readonly cause: ConnectError;
    constructor(cause: ConnectError);
    /** Converts any error thrown by a Connect client into a BosaError (idempotent). */
    static from(err: unknown): BosaError;
}

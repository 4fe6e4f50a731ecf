import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema, } from "./gen/google/rpc/error_details_pb.js";
/**
 * A failed gateway call. Branch on `code` and `reason` (the stable google.rpc.ErrorInfo
 * reason, e.g. "INTEGRATION_MISSING"), never on the message. `cause` is the ConnectError,
 * which holds the response headers and trailers.
 */
export class BosaError extends Error {
    name = "BosaError";
    /** The gRPC status code (Connect's Code enum has the gRPC numbers; Code[err.code] names it). */
    code;
    /** The status message without the code prefix; never contains keys or tokens. */
    rawMessage;
    /** ErrorInfo.reason; "" when the status carries no ErrorInfo. */
    reason;
    /** ErrorInfo.domain ("bosa.dev" for the gateway's own errors). */
    domain;
    /** ErrorInfo.metadata, e.g. { upstream_status: "404" }. */
    metadata;
    /** google.rpc.BadRequest field violations as { field: description }. */
    fieldViolations;
    /** Milliseconds to wait before retrying (google.rpc.RetryInfo), or undefined. */
    retryDelayMs;
    cause;
    constructor(cause) {
        const info = cause.findDetails(ErrorInfoSchema)[0];
        const reason = info?.reason ?? "";
        super(`${Code[cause.code] ?? cause.code}${reason ? ` [${reason}]` : ""}: ${cause.rawMessage}`);
        this.cause = cause;
        this.code = cause.code;
        this.rawMessage = cause.rawMessage;
        this.reason = reason;
        this.domain = info?.domain ?? "";
        this.metadata = { ...(info?.metadata ?? {}) };
        const violations = {};
        for (const bad of cause.findDetails(BadRequestSchema)) {
            for (const v of bad.fieldViolations)
                violations[v.field] = v.description;
        }
        this.fieldViolations = violations;
        const retry = cause.findDetails(RetryInfoSchema)[0]?.retryDelay;
        this.retryDelayMs = retry ? Number(retry.seconds) * 1000 + Math.round(retry.nanos / 1e6) : undefined;
    }
    /** Converts any error thrown by a Connect client into a BosaError (idempotent). */
    static from(err) {
        return err instanceof BosaError ? err : new BosaError(ConnectError.from(err));
    }
}
//# sourceMappingURL=errors.js.map
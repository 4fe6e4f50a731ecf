import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";
import { ErrorReason } from "./gen/bosa/v1/error_reason_pb.js";

/** The ErrorInfo.domain of the gateway's own errors. */
export const GATEWAY_DOMAIN = "bosa.dev";

/**
 * A failed gateway call. Branch on `code` and `errorReason` (the stable google.rpc.ErrorInfo
 * reason as a generated `ErrorReason` constant, e.g. `ErrorReason.INTEGRATION_MISSING`), never on
 * the message. `cause` is the ConnectError, which holds the response headers and trailers.
 */
export class BosaError extends Error {
  override readonly name = "BosaError";
  /** The gRPC status code (Connect's Code enum has the gRPC numbers; Code[err.code] names it). */
  readonly code: Code;
  /** The status message without the code prefix; never contains keys or tokens. */
  readonly rawMessage: string;
  /** ErrorInfo.reason as sent, e.g. "INTEGRATION_MISSING"; "" when the status carries no ErrorInfo. */
  readonly reason: string;
  /**
   * `reason` as an ErrorReason value; ERROR_REASON_UNSPECIFIED when there is none, the domain is
   * not the gateway's, or the reason is newer than this client.
   */
  readonly errorReason: ErrorReason;
  /** ErrorInfo.domain ("bosa.dev" for the gateway's own errors). */
  readonly domain: string;
  /** ErrorInfo.metadata, e.g. { upstream_status: "404" }. */
  readonly metadata: Readonly<Record<string, string>>;
  /** google.rpc.BadRequest field violations as { field: description }. */
  readonly fieldViolations: Readonly<Record<string, string>>;
  /** Milliseconds to wait before retrying (google.rpc.RetryInfo), or undefined. */
  readonly retryDelayMs: number | undefined;
  override readonly cause: ConnectError;

  constructor(cause: ConnectError) {
    const info = cause.findDetails(ErrorInfoSchema)[0];
    const reason = info?.reason ?? "";
    super(`${Code[cause.code] ?? cause.code}${reason ? ` [${reason}]` : ""}: ${cause.rawMessage}`);
    this.cause = cause;
    this.code = cause.code;
    this.rawMessage = cause.rawMessage;
    this.reason = reason;
    this.domain = info?.domain ?? "";
    const known = this.domain === GATEWAY_DOMAIN && Object.hasOwn(ErrorReason, reason) && typeof ErrorReason[reason as keyof typeof ErrorReason] === "number";
    this.errorReason = known ? ErrorReason[reason as keyof typeof ErrorReason] : ErrorReason.ERROR_REASON_UNSPECIFIED;
    this.metadata = { ...(info?.metadata ?? {}) };
    const violations: Record<string, string> = {};
    for (const bad of cause.findDetails(BadRequestSchema)) {
      for (const v of bad.fieldViolations) violations[v.field] = v.description;
    }
    this.fieldViolations = violations;
    const retry = cause.findDetails(RetryInfoSchema)[0]?.retryDelay;
    this.retryDelayMs = retry ? Number(retry.seconds) * 1000 + Math.round(retry.nanos / 1e6) : undefined;
  }

  /** Converts any error thrown by a Connect client into a BosaError (idempotent). */
  static from(err: unknown): BosaError {
    return err instanceof BosaError ? err : new BosaError(ConnectError.from(err));
  }
}

// What both entry points export: the platform-neutral client types, errors and generated messages.
export {
  toJsonValue,
  type ActionOptions,
  type BosaClientOptions,
  type BosaWebClient,
  type Credentials,
  type DownloadOptions,
  type JsonObject,
  type JsonValue,
  type PaginateOptions,
  type UploadOptions,
} from "./client.js";
export { type FileDownload, type UploadFile } from "./files.js";
export { BosaError, GATEWAY_DOMAIN } from "./errors.js";
export { methodPolicy, type MethodPolicy, type RetryEvent } from "./retry.js";
export { Code } from "@connectrpc/connect";
export * from "./gen/bosa/v1/action_pb.js";
export * from "./gen/bosa/v1/connector_pb.js";
export * from "./gen/bosa/v1/error_reason_pb.js";
export * from "./gen/bosa/v1/integration_pb.js";
export * from "./gen/bosa/v1/user_pb.js";

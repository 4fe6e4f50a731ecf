/**
 * TypeScript client for the BOSA gateway (bosa.v1 over gRPC, Connect-ES v2).
 *
 * The generated messages and service descriptors are exported as well, e.g. `ActionService`,
 * `ExecuteActionRequestSchema`, `Direction`; more under "@bosa/gateway-client/gen/bosa/v1/*".
 */
export {
  createBosaClient,
  toJsonValue,
  type ActionOptions,
  type BosaClient,
  type BosaClientOptions,
  type DownloadOptions,
  type DownloadToOptions,
  type JsonObject,
  type JsonValue,
  type PaginateOptions,
  type UploadOptions,
} from "./client.js";
export { type FileDownload, type UploadFile } from "./files.js";
export { BosaError, GATEWAY_DOMAIN } from "./errors.js";
export { Code } from "@connectrpc/connect";
export * from "./gen/bosa/v1/action_pb.js";
export * from "./gen/bosa/v1/connector_pb.js";
export * from "./gen/bosa/v1/error_reason_pb.js";
export * from "./gen/bosa/v1/integration_pb.js";
export * from "./gen/bosa/v1/user_pb.js";

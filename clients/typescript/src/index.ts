/**
 * TypeScript client for the BOSA gateway (bosa.v1 over gRPC, Connect-ES v2), for Node. Browsers
 * use "@bosa/gateway-client/web" (Connect or gRPC-Web over fetch).
 *
 * The generated messages and service descriptors are exported as well, e.g. `ActionService`,
 * `ExecuteActionRequestSchema`, `Direction`; more under "@bosa/gateway-client/gen/bosa/v1/*".
 */
export * from "./api.js";
export { createBosaClient, type BosaClient, type DownloadToOptions } from "./node.js";

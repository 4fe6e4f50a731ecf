/**
 * The BOSA gateway client for browsers (and any runtime with fetch): the Connect protocol, or
 * gRPC-Web, against the gateway's HTTP address. Imports no Node built-in.
 */
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { defined, interceptors, newWebClient, type BosaClientOptions, type BosaWebClient } from "./client.js";

export * from "./api.js";

/** Options of createBosaWebClient. */
export interface BosaWebClientOptions extends BosaClientOptions {
  /** "connect" (the default: JSON, readable in the network panel) or "grpc-web" (binary). */
  protocol?: "connect" | "grpc-web";
}

/**
 * Connects to the BOSA gateway's HTTP address (e.g. "https://gateway.example") with fetch. The
 * page's origin must be among the gateway's --cors-allowed-origins.
 */
export function createBosaWebClient(options: BosaWebClientOptions): BosaWebClient {
  const make = options.protocol === "grpc-web" ? createGrpcWebTransport : createConnectTransport;
  const transport = make({ baseUrl: options.baseUrl, interceptors: interceptors(options) });
  return newWebClient(
    options,
    transport,
    (creds) => createBosaWebClient({ ...options, ...defined(creds) }),
    () => {},
  );
}

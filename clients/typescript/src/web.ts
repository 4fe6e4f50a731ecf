/**
 * The BOSA gateway client for browsers (and any runtime with fetch): the Connect protocol, or
 * gRPC-Web, against the gateway's HTTP address. Imports no Node built-in.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
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
  const transport = make({ baseUrl: options.baseUrl, interceptors: [...interceptors(options), networkUnavailable] });
  return newWebClient(
    options,
    transport,
    (creds) => createBosaWebClient({ ...options, ...defined(creds) }),
    () => {},
  );
}

/**
 * fetch rejects with a TypeError when no answer came (connection refused or reset, DNS): that is
 * gRPC's UNAVAILABLE, as connect-node reports it, so the retry policy applies in browsers too.
 * Connect alone would make it UNKNOWN.
 */
const networkUnavailable: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    if (err instanceof TypeError && !req.signal.aborted) throw new ConnectError(err.message, Code.Unavailable, undefined, undefined, err);
    throw err;
  }
};

// The Node client: gRPC over HTTP/2 (connect-node), and downloads into Node streams.
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FileMetadata } from "./gen/bosa/v1/action_pb.js";
import {
  defined,
  interceptors,
  newWebClient,
  type BosaClientOptions,
  type BosaWebClient,
  type Credentials,
  type DownloadOptions,
  type JsonObject,
} from "./client.js";
import type { FileDownload } from "./files.js";

/** Options of download() to a Writable. */
export interface DownloadToOptions extends DownloadOptions {
  /** End the Writable when the file is complete (true by default; false for e.g. process.stdout). */
  end?: boolean;
}

/** A BosaWebClient over gRPC with downloads into Node streams. */
export interface BosaClient extends BosaWebClient {
  /** A client on the same HTTP/2 connection with other credentials; unset ones are kept. */
  withCredentials(creds: Credentials): BosaClient;
  /**
   * Streams the file an action returns into a Writable (e.g. fs.createWriteStream), chunk by
   * chunk with backpressure, and resolves to its metadata once everything is written. Like
   * stream.pipeline, it ends the Writable at the end (unless `end: false`) and destroys it when
   * the transfer fails; a failing Writable cancels the call, and its error is the rejection.
   */
  download(
    connector: string,
    action: string,
    input: JsonObject | undefined,
    to: NodeJS.WritableStream,
    options?: DownloadToOptions,
  ): Promise<FileMetadata>;
  /** Closes the HTTP/2 connection shared by this client and those made by withCredentials(). */
  close(): void;
}

/** Connects to the BOSA gateway over gRPC (always HTTP/2 with Connect v2's createGrpcTransport). */
export function createBosaClient(options: BosaClientOptions): BosaClient {
  return newClient(options, new Http2SessionManager(options.baseUrl));
}

function newClient(options: BosaClientOptions, sessionManager: Http2SessionManager): BosaClient {
  const transport = createGrpcTransport({ baseUrl: options.baseUrl, sessionManager, interceptors: interceptors(options) });
  const withCredentials = (creds: Credentials) => newClient({ ...options, ...defined(creds) }, sessionManager);
  const web = newWebClient(options, transport, withCredentials, () => sessionManager.abort());
  return {
    ...web,
    withCredentials,
    async download(connector, action, input, to, opts = {}) {
      let file: FileDownload;
      try {
        file = await web.openDownload(connector, action, input, opts);
      } catch (err) {
        // As stream.pipeline does on a failure mid-file, destroy the Writable (without an error
        // event, which would be unhandled: the rejection reports the error).
        (to as Partial<Writable>).destroy?.();
        throw err;
      }
      await pipeline(file.chunks, to, { end: opts.end ?? true });
      return file.metadata;
    },
  };
}

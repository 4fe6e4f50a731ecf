import { create, toJson, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type CallOptions, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  ActionService,
  FileSchema,
  type ExecuteActionResponse,
  type File,
  type FileMetadata,
  type PaginateRequestSchema,
  type PaginateResponse,
  type ResponseFilterSchema,
} from "./gen/bosa/v1/action_pb.js";
import { ConnectorService } from "./gen/bosa/v1/connector_pb.js";
import { IntegrationService } from "./gen/bosa/v1/integration_pb.js";
import { UserService, type User } from "./gen/bosa/v1/user_pb.js";
import { BosaError } from "./errors.js";
import {
  cancellableUpload,
  declaredSize,
  openDownload,
  uploadRequests,
  type FileDownload,
  type UploadFile,
} from "./files.js";

/** JSON object, as the gateway's google.protobuf.Struct fields are typed. */
export type JsonObject = { [k: string]: JsonValue };
/** JSON value, as the gateway's google.protobuf.Value fields are typed. */
export type JsonValue = number | string | boolean | null | JsonObject | JsonValue[];

/**
 * Converts a google.protobuf.Value, such as ExecuteActionResponse's data or
 * PaginateResponse.data, to a plain JSON value; an absent or empty Value becomes null.
 */
export function toJsonValue(value: Value | undefined): JsonValue {
  return value === undefined || value.kind.case === undefined ? null : (toJson(ValueSchema, value) as JsonValue);
}

/** Options of createBosaClient. */
export interface BosaClientOptions {
  /** The gateway's gRPC address as a URL, e.g. "http://localhost:50051" (https for TLS). */
  baseUrl: string;
  /** A BOSA client key (x-api-key), when the gateway has none of its own. */
  apiKey?: string;
  /** A user's bearer token (authorization: Bearer <token>), see authenticate(). */
  token?: string;
  /** The user_identifier of the integration actions should use (x-bosa-integration). */
  integration?: string;
  /** Default deadline of each call in milliseconds; none when unset. */
  timeoutMs?: number;
}

/** Options of execute() and paginate() beyond connector, action and input. */
export interface ActionOptions {
  /** Files for the action's binary parameters. */
  files?: MessageInitShape<typeof FileSchema>[];
  /** Dot paths of the fields to keep in each item. */
  responseFields?: string[];
  /** Upstream response filters. */
  responseFilters?: MessageInitShape<typeof ResponseFilterSchema>[];
  /** Attempts for transient upstream failures; 0 uses the gateway's default. */
  maxAttempts?: number;
  /** A page token from an earlier response; replaces input. */
  pageToken?: string;
  /** Deadline of this call in milliseconds. */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Options of paginate(). */
export interface PaginateOptions extends ActionOptions {
  /** Stop after this many pages; 0 means the gateway's limit. */
  maxPages?: number;
  /** Which way to walk (Direction enum); forward when unset. */
  direction?: MessageInitShape<typeof PaginateRequestSchema>["direction"];
  /** Pages the gateway fetches ahead. */
  prefetch?: number;
}

/** Options of openDownload(), download() and downloadBytes(). */
export interface DownloadOptions {
  /** Attempts for transient upstream failures before the first byte; 0 uses the gateway's default. */
  maxAttempts?: number;
  /** Largest chunk the gateway sends, in bytes; 0 uses its default (about 32 KiB). */
  chunkSize?: number;
  /** Deadline of the whole transfer in milliseconds. */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Options of download() to a Writable. */
export interface DownloadToOptions extends DownloadOptions {
  /** End the Writable when the file is complete (true by default; false for e.g. process.stdout). */
  end?: boolean;
}

/** Options of upload(). */
export interface UploadOptions {
  /** Dot paths of the fields to keep in each item of the result. */
  responseFields?: string[];
  /** Upstream response filters. */
  responseFilters?: MessageInitShape<typeof ResponseFilterSchema>[];
  /**
   * Makes a retry safe (e.g. `crypto.randomUUID()`): a retry with the same id within the gateway's
   * idempotency window gets the first call's answer instead of uploading again.
   */
  requestId?: string;
  /** Deadline of the whole transfer in milliseconds. */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/**
 * A connection to the BOSA gateway. The generated Connect clients are `users`, `connectors`,
 * `actions` and `integrations`; every call sends the credentials given to createBosaClient and
 * rejects with BosaError, also while iterating a stream.
 */
export interface BosaClient {
  readonly users: Client<typeof UserService>;
  readonly connectors: Client<typeof ConnectorService>;
  readonly actions: Client<typeof ActionService>;
  readonly integrations: Client<typeof IntegrationService>;
  /** A client on the same HTTP/2 connection with other credentials; unset ones are kept. */
  withCredentials(creds: Pick<BosaClientOptions, "apiKey" | "token" | "integration">): BosaClient;
  /**
   * Registers a user; the returned user's secret is shown only here. With a `requestId` (e.g.
   * `crypto.randomUUID()`), a retry within the gateway's idempotency window gets the first call's
   * answer and creates nothing twice.
   */
  createUser(identifier: string, options?: { requestId?: string }): Promise<User>;
  /** Exchanges a user's identifier and secret for a bearer token. */
  authenticate(identifier: string, secret: string): Promise<string>;
  /** Runs one action; the result is `result.case === "data"` (JSON) or `"file"`. */
  execute(connector: string, action: string, input?: JsonObject, options?: ActionOptions): Promise<ExecuteActionResponse>;
  /** Streams the pages of a paged action; leaving a for-await loop early cancels the stream. */
  paginate(connector: string, action: string, input?: JsonObject, options?: PaginateOptions): AsyncIterable<PaginateResponse>;
  /**
   * Runs an action that returns a file (DownloadFile) and resolves once the file's metadata has
   * arrived; its bytes follow as `chunks`, an async iterable of Uint8Array. An action that
   * answers with JSON instead of a file rejects with FAILED_PRECONDITION.
   */
  openDownload(connector: string, action: string, input?: JsonObject, options?: DownloadOptions): Promise<FileDownload>;
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
  /** Like download(), for files that fit in memory: resolves to a File with the bytes as `data`. */
  downloadBytes(connector: string, action: string, input?: JsonObject, options?: DownloadOptions): Promise<File>;
  /**
   * Runs an action with file parameters (UploadFiles), streaming each file's content in 32 KiB
   * chunks; resolves to the action's result, as execute() does. An error thrown by a file's
   * content, or `signal`, cancels the call (the action does not run); the content's error is then
   * the rejection. Never retried.
   */
  upload(
    connector: string,
    action: string,
    input: JsonObject | undefined,
    files: UploadFile[],
    options?: UploadOptions,
  ): Promise<ExecuteActionResponse>;
  /** Closes the HTTP/2 connection shared by this client and those made by withCredentials(). */
  close(): void;
}

/** Connects to the BOSA gateway over gRPC (always HTTP/2 with Connect v2's createGrpcTransport). */
export function createBosaClient(options: BosaClientOptions): BosaClient {
  return newClient(options, new Http2SessionManager(options.baseUrl));
}

function newClient(options: BosaClientOptions, sessionManager: Http2SessionManager): BosaClient {
  const transport = createGrpcTransport({
    baseUrl: options.baseUrl,
    sessionManager,
    defaultTimeoutMs: options.timeoutMs,
    interceptors: [credentials(options)],
  });
  const users = withBosaErrors(UserService, transport);
  const actions = withBosaErrors(ActionService, transport);
  const open = (connector: string, action: string, input: JsonObject | undefined, opts: DownloadOptions = {}) =>
    openDownload(
      actions
        .downloadFile(
          { connector, action, input, maxAttempts: opts.maxAttempts ?? 0, chunkSize: opts.chunkSize ?? 0 },
          { timeoutMs: opts.timeoutMs, signal: opts.signal },
        )
        [Symbol.asyncIterator](),
    );
  return {
    users,
    connectors: withBosaErrors(ConnectorService, transport),
    actions,
    integrations: withBosaErrors(IntegrationService, transport),
    withCredentials(creds) {
      return newClient({ ...options, ...defined(creds) }, sessionManager);
    },
    createUser(identifier, opts = {}) {
      return users.createUser({ identifier, requestId: opts.requestId ?? "" });
    },
    async authenticate(identifier, secret) {
      return (await users.authenticateUser({ identifier, secret })).token;
    },
    execute(connector, action, input, opts = {}) {
      return actions.executeAction(
        { connector, action, input, ...actionFields(opts) },
        { timeoutMs: opts.timeoutMs, signal: opts.signal },
      );
    },
    paginate(connector, action, input, opts = {}) {
      return actions.paginate(
        {
          connector,
          action,
          input,
          ...actionFields(opts),
          maxPages: opts.maxPages ?? 0,
          direction: opts.direction,
          prefetch: opts.prefetch ?? 0,
        },
        { timeoutMs: opts.timeoutMs, signal: opts.signal },
      );
    },
    openDownload: open,
    async download(connector, action, input, to, opts = {}) {
      let file: FileDownload;
      try {
        file = await open(connector, action, input, opts);
      } catch (err) {
        // As stream.pipeline does on a failure mid-file, destroy the Writable (without an error
        // event, which would be unhandled: the rejection reports the error).
        (to as Partial<Writable>).destroy?.();
        throw err;
      }
      await pipeline(file.chunks, to, { end: opts.end ?? true });
      return file.metadata;
    },
    async downloadBytes(connector, action, input, opts = {}) {
      const { metadata, chunks } = await open(connector, action, input, opts);
      const parts: Uint8Array[] = [];
      for await (const c of chunks) parts.push(c);
      return create(FileSchema, { filename: metadata.filename, contentType: metadata.contentType, data: Buffer.concat(parts) });
    },
    async upload(connector, action, input, files, opts = {}) {
      const header = {
        connector,
        action,
        input,
        files: files.map((f) => ({
          parameter: f.parameter,
          filename: f.filename,
          contentType: f.contentType ?? "",
          size: BigInt(declaredSize(f)),
        })),
        responseFields: opts.responseFields ?? [],
        responseFilters: opts.responseFilters ?? [],
        requestId: opts.requestId ?? "",
      };
      const upload = cancellableUpload(uploadRequests(header, files), opts.signal);
      try {
        const res = await actions.uploadFiles(upload.requests, { timeoutMs: opts.timeoutMs, signal: upload.signal });
        if (!res.result) throw new BosaError(new ConnectError("UploadFiles returned no result", Code.Internal));
        return res.result;
      } catch (err) {
        // What a file's content threw explains the failure better than the cancelled call.
        throw upload.failure()?.err ?? err;
      } finally {
        // Stops reading the files (a Readable is destroyed) when the call ended before they were sent.
        upload.close();
      }
    },
    close() {
      sessionManager.abort();
    },
  };
}

function actionFields(o: ActionOptions) {
  return {
    files: o.files ?? [],
    responseFields: o.responseFields ?? [],
    responseFilters: o.responseFilters ?? [],
    maxAttempts: o.maxAttempts ?? 0,
    pageToken: o.pageToken ?? "",
  };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Sets the credential headers on every request. */
function credentials(o: BosaClientOptions): Interceptor {
  return (next) => (req) => {
    if (o.apiKey) req.header.set("x-api-key", o.apiKey);
    if (o.token) req.header.set("authorization", `Bearer ${o.token}`);
    if (o.integration) req.header.set("x-bosa-integration", o.integration);
    return next(req);
  };
}

/**
 * Wraps a generated client so that every ConnectError, also one raised while reading a stream,
 * reaches the caller as a BosaError. (An interceptor cannot do this: Connect turns whatever an
 * interceptor throws back into a ConnectError.)
 */
function withBosaErrors<T extends DescService>(service: T, transport: Transport): Client<T> {
  const inner = createClient(service, transport) as unknown as Record<string, Method>;
  const wrapped: Record<string, Method> = {};
  for (const [localName, method] of Object.entries(service.method)) {
    const call = inner[localName]!;
    wrapped[localName] =
      method.methodKind === "server_streaming"
        ? (request, options) => stream(call, request, options)
        : (request, options) =>
            (call(request, options) as Promise<unknown>).catch((err: unknown) => Promise.reject(BosaError.from(err)));
  }
  return wrapped as unknown as Client<T>;
}

type Method = (request: unknown, options?: CallOptions) => unknown;

/**
 * Runs a server-streaming call. Leaving the consumer's loop early aborts the call, so the
 * gateway stops fetching pages and the connection is not held open.
 */
async function* stream(call: Method, request: unknown, options: CallOptions = {}): AsyncGenerator<unknown> {
  const early = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, early.signal]) : early.signal;
  const it = (call(request, { ...options, signal }) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let settled = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        settled = true;
        return;
      }
      yield r.value;
    }
  } catch (err) {
    settled = true;
    throw BosaError.from(err);
  } finally {
    if (!settled) {
      early.abort();
      // One more read observes the abort; only then does Connect clear the call's deadline timer,
      // which would otherwise keep the process alive until the deadline.
      await it.next().catch(() => undefined);
    }
  }
}

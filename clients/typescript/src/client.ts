import { create, toJson, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type CallOptions, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
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
import { methodPolicy, retryInterceptor, type RetryEvent } from "./retry.js";
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

/** Options of createBosaClient (Node) and createBosaWebClient (browsers). */
export interface BosaClientOptions {
  /**
   * The gateway as a URL: its gRPC address for createBosaClient, e.g. "http://localhost:50051";
   * its HTTP address for createBosaWebClient, e.g. "http://localhost:8080" (https for TLS).
   */
  baseUrl: string;
  /** A BOSA client key (x-api-key), when the gateway has none of its own. */
  apiKey?: string;
  /** A user's bearer token (authorization: Bearer <token>), see authenticate(). */
  token?: string;
  /** The user_identifier of the integration actions should use (x-bosa-integration). */
  integration?: string;
  /**
   * Default deadline of each call in milliseconds. When unset, a method's deadline is the one the
   * gateway's service config gives it (proto/bosa/v1/service_config.json; none for streams).
   */
  timeoutMs?: number;
  /**
   * Called before each retry of the service config's retry policy (UNAVAILABLE on the methods it
   * lists); the retry waits for a returned promise. For logging.
   */
  onRetry?: (event: RetryEvent) => void | Promise<void>;
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
 * A connection to the BOSA gateway, in any JavaScript runtime (see createBosaWebClient; Node's
 * BosaClient adds download() to a stream). The generated Connect clients are `users`,
 * `connectors`, `actions` and `integrations`; every call sends the credentials given when the
 * client was made and rejects with BosaError, also while iterating a stream.
 */
export interface BosaWebClient {
  readonly users: Client<typeof UserService>;
  readonly connectors: Client<typeof ConnectorService>;
  readonly actions: Client<typeof ActionService>;
  readonly integrations: Client<typeof IntegrationService>;
  /** A client on the same connection with other credentials; unset ones are kept. */
  withCredentials(creds: Credentials): BosaWebClient;
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
  /** Closes the connection shared by this client and those made by withCredentials() (Node). */
  close(): void;
}

/** The credentials a client sends; see BosaClientOptions. */
export type Credentials = Pick<BosaClientOptions, "apiKey" | "token" | "integration">;

/** The interceptors every transport of a BosaWebClient has: credentials, then retries. */
export function interceptors(options: BosaClientOptions): Interceptor[] {
  return [credentials(options), retryInterceptor(options.onRetry)];
}

/**
 * The platform-neutral client over a transport made with interceptors(options); withCredentials
 * is how the caller makes a client with other credentials on the same connection.
 */
export function newWebClient(
  options: BosaClientOptions,
  transport: Transport,
  withCredentials: (creds: Credentials) => BosaWebClient,
  close: () => void,
): BosaWebClient {
  const users = withBosaErrors(UserService, transport, options.timeoutMs);
  const actions = withBosaErrors(ActionService, transport, options.timeoutMs);
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
    connectors: withBosaErrors(ConnectorService, transport, options.timeoutMs),
    actions,
    integrations: withBosaErrors(IntegrationService, transport, options.timeoutMs),
    withCredentials,
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
    async downloadBytes(connector, action, input, opts = {}) {
      const { metadata, chunks } = await open(connector, action, input, opts);
      const parts: Uint8Array[] = [];
      for await (const c of chunks) parts.push(c);
      return create(FileSchema, { filename: metadata.filename, contentType: metadata.contentType, data: concat(parts) });
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
    close,
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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

export function defined<T extends object>(o: T): Partial<T> {
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
 * reaches the caller as a BosaError (an interceptor cannot do this: Connect turns whatever an
 * interceptor throws back into a ConnectError), and so that a call without a deadline gets the
 * client's default, else the service config's for its method.
 */
function withBosaErrors<T extends DescService>(service: T, transport: Transport, defaultTimeoutMs?: number): Client<T> {
  const inner = createClient(service, transport) as unknown as Record<string, Method>;
  const wrapped: Record<string, Method> = {};
  for (const [localName, method] of Object.entries(service.method)) {
    const call = inner[localName]!;
    const timeoutMs = defaultTimeoutMs ?? methodPolicy(service.typeName, method.name).timeoutMs;
    const withDeadline = (options: CallOptions = {}): CallOptions =>
      options.timeoutMs === undefined && timeoutMs !== undefined ? { ...options, timeoutMs } : options;
    wrapped[localName] =
      method.methodKind === "server_streaming"
        ? (request, options) => stream(call, request, withDeadline(options))
        : (request, options) =>
            (call(request, withDeadline(options)) as Promise<unknown>).catch((err: unknown) => Promise.reject(BosaError.from(err)));
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

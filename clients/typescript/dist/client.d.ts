import { type MessageInitShape } from "@bufbuild/protobuf";
import { type Value } from "@bufbuild/protobuf/wkt";
import { type Client } from "@connectrpc/connect";
import { ActionService, type ExecuteActionResponse, type FileSchema, type PaginateRequestSchema, type PaginateResponse, type ResponseFilterSchema } from "./gen/bosa/v1/action_pb.js";
import { ConnectorService } from "./gen/bosa/v1/connector_pb.js";
import { IntegrationService } from "./gen/bosa/v1/integration_pb.js";
import { UserService, type User } from "./gen/bosa/v1/user_pb.js";
/** JSON object, as the gateway's google.protobuf.Struct fields are typed. */
export type JsonObject = {
    [k: string]: JsonValue;
};
/** JSON value, as the gateway's google.protobuf.Value fields are typed. */
export type JsonValue = number | string | boolean | null | JsonObject | JsonValue[];
/**
 * Converts a google.protobuf.Value, such as ExecuteActionResponse's data or
 * PaginateResponse.data, to a plain JSON value; undefined becomes null.
 */
export declare function toJsonValue(value: Value | undefined): JsonValue;
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
    /** Registers a user; the returned user's secret is shown only here. */
    createUser(identifier: string): Promise<User>;
    /** Exchanges a user's identifier and secret for a bearer token. */
    authenticate(identifier: string, secret: string): Promise<string>;
    /** Runs one action; the result is `result.case === "data"` (JSON) or `"file"`. */
    execute(connector: string, action: string, input?: JsonObject, options?: ActionOptions): Promise<ExecuteActionResponse>;
    /** Streams the pages of a paged action; leaving a for-await loop early cancels the stream. */
    paginate(connector: string, action: string, input?: JsonObject, options?: PaginateOptions): AsyncIterable<PaginateResponse>;
    /** Closes the HTTP/2 connection shared by this client and those made by withCredentials(). */
    close(): void;
}
/** Connects to the BOSA gateway over gRPC (always HTTP/2 with Connect v2's createGrpcTransport). */
export declare function createBosaClient(options: BosaClientOptions): BosaClient;

import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ActionService, } from "./gen/bosa/v1/action_pb.js";
import { ConnectorService } from "./gen/bosa/v1/connector_pb.js";
import { IntegrationService } from "./gen/bosa/v1/integration_pb.js";
import { UserService } from "./gen/bosa/v1/user_pb.js";
import { BosaError } from "./errors.js";
/**
 * Converts a google.protobuf.Value, such as ExecuteActionResponse's data or
 * PaginateResponse.data, to a plain JSON value; undefined becomes null.
 */
export function toJsonValue(value) {
    return value === undefined ? null : toJson(ValueSchema, value);
}
/** Connects to the BOSA gateway over gRPC (always HTTP/2 with Connect v2's createGrpcTransport). */
export function createBosaClient(options) {
    return newClient(options, new Http2SessionManager(options.baseUrl));
}
function newClient(options, sessionManager) {
    const transport = createGrpcTransport({
        baseUrl: options.baseUrl,
        sessionManager,
        defaultTimeoutMs: options.timeoutMs,
        interceptors: [credentials(options)],
    });
    const users = withBosaErrors(UserService, transport);
    const actions = withBosaErrors(ActionService, transport);
    return {
        users,
        connectors: withBosaErrors(ConnectorService, transport),
        actions,
        integrations: withBosaErrors(IntegrationService, transport),
        withCredentials(creds) {
            return newClient({ ...options, ...defined(creds) }, sessionManager);
        },
        async createUser(identifier) {
            const res = await users.createUser({ identifier });
            if (!res.user)
                throw new Error("CreateUser returned no user");
            return res.user;
        },
        async authenticate(identifier, secret) {
            return (await users.authenticateUser({ identifier, secret })).token;
        },
        execute(connector, action, input, opts = {}) {
            return actions.executeAction({ connector, action, input, ...actionFields(opts) }, { timeoutMs: opts.timeoutMs, signal: opts.signal });
        },
        paginate(connector, action, input, opts = {}) {
            return actions.paginate({
                connector,
                action,
                input,
                ...actionFields(opts),
                maxPages: opts.maxPages ?? 0,
                direction: opts.direction,
                prefetch: opts.prefetch ?? 0,
            }, { timeoutMs: opts.timeoutMs, signal: opts.signal });
        },
        close() {
            sessionManager.abort();
        },
    };
}
function actionFields(o) {
    return {
        files: o.files ?? [],
        responseFields: o.responseFields ?? [],
        responseFilters: o.responseFilters ?? [],
        maxAttempts: o.maxAttempts ?? 0,
        pageToken: o.pageToken ?? "",
    };
}
function defined(o) {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
/** Sets the credential headers on every request. */
function credentials(o) {
    return (next) => (req) => {
        if (o.apiKey)
            req.header.set("x-api-key", o.apiKey);
        if (o.token)
            req.header.set("authorization", `Bearer ${o.token}`);
        if (o.integration)
            req.header.set("x-bosa-integration", o.integration);
        return next(req);
    };
}
/**
 * Wraps a generated client so that every ConnectError, also one raised while reading a stream,
 * reaches the caller as a BosaError. (An interceptor cannot do this: Connect turns whatever an
 * interceptor throws back into a ConnectError.)
 */
function withBosaErrors(service, transport) {
    const inner = createClient(service, transport);
    const wrapped = {};
    for (const [localName, method] of Object.entries(service.method)) {
        const call = inner[localName];
        wrapped[localName] =
            method.methodKind === "server_streaming"
                ? (request, options) => stream(call, request, options)
                : (request, options) => call(request, options).catch((err) => Promise.reject(BosaError.from(err)));
    }
    return wrapped;
}
/**
 * Runs a server-streaming call. Leaving the consumer's loop early aborts the call, so the
 * gateway stops fetching pages and the connection is not held open.
 */
async function* stream(call, request, options = {}) {
    const early = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, early.signal]) : early.signal;
    const it = call(request, { ...options, signal })[Symbol.asyncIterator]();
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
    }
    catch (err) {
        settled = true;
        throw BosaError.from(err);
    }
    finally {
        if (!settled) {
            early.abort();
            // One more read observes the abort; only then does Connect clear the call's deadline timer,
            // which would otherwise keep the process alive until the deadline.
            await it.next().catch(() => undefined);
        }
    }
}
//# sourceMappingURL=client.js.map
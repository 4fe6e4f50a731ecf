// The gateway's published gRPC service config (proto/bosa/v1/service_config.json), applied by this
// client: Connect-ES has no service-config support, so its retry policy runs as an interceptor and
// its per-method timeouts as default deadlines.
import { Code, ConnectError, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { serviceConfig } from "./serviceconfig.gen.js";

/** The parts of a gRPC service config (gRFC A6) this client applies. */
export interface ServiceConfig {
  methodConfig?: MethodConfig[];
  retryThrottling?: { maxTokens: number; tokenRatio: number };
  [other: string]: unknown;
}

interface MethodConfig {
  name: { service: string; method?: string }[];
  timeout?: string;
  retryPolicy?: {
    maxAttempts: number;
    initialBackoff: string;
    maxBackoff: string;
    backoffMultiplier: number;
    retryableStatusCodes: string[];
  };
}

/** How one method is called: its default deadline and retry policy, from the service config. */
export interface MethodPolicy {
  /** Default deadline in milliseconds, when the config sets one. */
  timeoutMs?: number;
  /** Retries, when the config allows them for the method. */
  retry?: {
    maxAttempts: number;
    initialBackoffMs: number;
    maxBackoffMs: number;
    backoffMultiplier: number;
    codes: ReadonlySet<Code>;
  };
}

/** A retry about to happen, as reported to BosaClientOptions.onRetry. */
export interface RetryEvent {
  /** The method, e.g. "bosa.v1.ConnectorService/ListConnectors". */
  method: string;
  /** The attempt that failed (1 for the first call). */
  attempt: number;
  /** Milliseconds the client waits before the next attempt. */
  delayMs: number;
  /** The failure. */
  error: ConnectError;
}

/** The policy of service/method (full service name, method name as in the proto). */
export function methodPolicy(service: string, method: string, config: ServiceConfig = serviceConfig): MethodPolicy {
  // gRFC A6: an exact method entry wins over a whole-service entry.
  const entries = config.methodConfig ?? [];
  const mc =
    entries.find((m) => m.name.some((n) => n.service === service && n.method === method)) ??
    entries.find((m) => m.name.some((n) => n.service === service && !n.method));
  if (!mc) return {};
  const p: MethodPolicy = {};
  if (mc.timeout) p.timeoutMs = durationMs(mc.timeout);
  if (mc.retryPolicy && mc.retryPolicy.maxAttempts > 1) {
    const r = mc.retryPolicy;
    p.retry = {
      maxAttempts: Math.min(r.maxAttempts, 5), // gRFC A6 caps maxAttempts at 5
      initialBackoffMs: durationMs(r.initialBackoff),
      maxBackoffMs: durationMs(r.maxBackoff),
      backoffMultiplier: r.backoffMultiplier,
      codes: new Set(r.retryableStatusCodes.map(codeOf)),
    };
  }
  return p;
}

/** "0.1s" (a google.protobuf.Duration in JSON) as milliseconds. */
function durationMs(d: string): number {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(d);
  if (!m) throw new Error(`service config: bad duration ${JSON.stringify(d)}`);
  return Number(m[1]) * 1000;
}

/** "UNAVAILABLE" as Connect's Code (the gRPC numbers). */
function codeOf(name: string): Code {
  const camel = name.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  const code = (Code as unknown as Record<string, Code | undefined>)[camel];
  if (code === undefined) throw new Error(`service config: unknown status code ${name}`);
  return code;
}

/**
 * Retries calls that fail with a retryable code, as gRPC's retry policy does: only methods the
 * service config lists, at most maxAttempts in all, with exponential backoff and full jitter, only
 * before the answer has started (a stream that failed midway is not replayed), within the call's
 * deadline, and stopped by the throttle when many calls fail (retryThrottling).
 */
export function retryInterceptor(onRetry?: (e: RetryEvent) => void | Promise<void>, config: ServiceConfig = serviceConfig): Interceptor {
  const throttle = config.retryThrottling ? new Throttle(config.retryThrottling) : undefined;
  const policies = new Map<string, MethodPolicy>();
  return (next) => async (req) => {
    const key = `${req.service.typeName}/${req.method.name}`;
    let policy = policies.get(key);
    if (!policy) policies.set(key, (policy = methodPolicy(req.service.typeName, req.method.name, config)));
    const retry = policy.retry;
    if (!retry || (req.stream && req.method.methodKind !== "server_streaming")) return next(req);
    // A server-streaming request's one message is an async iterable: keep it to send it again.
    const messages = req.stream ? await collect(req.message) : [];
    const attemptReq = (): UnaryRequest | StreamRequest => (req.stream ? { ...req, message: iterate(messages) } : req);
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await next(attemptReq() as typeof req);
        throttle?.success();
        return res;
      } catch (err) {
        const e = ConnectError.from(err);
        const retryable = retry.codes.has(e.code) && !req.signal.aborted;
        if (retryable) throttle?.failure();
        if (!retryable || attempt >= retry.maxAttempts || (throttle && !throttle.allows())) throw e;
        const cap = Math.min(retry.initialBackoffMs * retry.backoffMultiplier ** (attempt - 1), retry.maxBackoffMs);
        const delayMs = Math.random() * cap;
        await onRetry?.({ method: key, attempt, delayMs, error: e });
        if (!(await sleep(delayMs, req.signal))) throw e;
      }
    }
  };
}

/** gRFC A6 retry throttling: retries stop while more than half the tokens are spent. */
class Throttle {
  private tokens: number;
  constructor(private readonly cfg: { maxTokens: number; tokenRatio: number }) {
    this.tokens = cfg.maxTokens;
  }
  success() {
    this.tokens = Math.min(this.cfg.maxTokens, this.tokens + this.cfg.tokenRatio);
  }
  failure() {
    this.tokens = Math.max(0, this.tokens - 1);
  }
  allows() {
    return this.tokens > this.cfg.maxTokens / 2;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of it) out.push(m);
  return out;
}

async function* iterate<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

/** Waits ms; false when the signal aborts first (the call's deadline or cancellation). */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

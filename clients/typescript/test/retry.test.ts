// The published service config (proto/bosa/v1/service_config.json) as this client applies it:
// per-method deadlines, retries for UNAVAILABLE on the methods it lists, and a call that survives
// a gateway restart.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Http2Server } from "node:http2";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BosaError, Code, createBosaClient, methodPolicy, type RetryEvent } from "@bosa/gateway-client";
import { repoRoot, startGateway, type Gateway } from "./gateway.js";

interface FileConfig {
  methodConfig: { name: { service: string; method: string }[]; timeout?: string; retryPolicy?: { maxAttempts: number } }[];
}
const file = JSON.parse(readFileSync(join(repoRoot, "proto", "bosa", "v1", "service_config.json"), "utf8")) as FileConfig;

describe("service config", () => {
  it("every method's policy is the file's", () => {
    let methods = 0;
    for (const mc of file.methodConfig) {
      for (const n of mc.name) {
        const p = methodPolicy(n.service, n.method);
        assert.equal(p.timeoutMs, mc.timeout ? Number(mc.timeout.slice(0, -1)) * 1000 : undefined, `${n.service}/${n.method} timeout`);
        assert.equal(p.retry?.maxAttempts, mc.retryPolicy?.maxAttempts, `${n.service}/${n.method} maxAttempts`);
        if (p.retry) assert.deepEqual([...p.retry.codes], [Code.Unavailable]);
        methods++;
      }
    }
    assert.ok(methods >= 10, `only ${methods} methods in the config`);
    assert.deepEqual(methodPolicy("bosa.v1.ActionService", "UploadFiles"), {}, "UploadFiles is not in the config");
  });
});

/** A gRPC peer on a real socket that records each call's path and grpc-timeout and fails it with `status`. */
async function failingPeer(status: Code): Promise<{ url: string; calls: { path: string; timeout?: string }[]; bodies: Buffer[]; close(): Promise<void> }> {
  const calls: { path: string; timeout?: string }[] = [];
  const bodies: Buffer[] = [];
  const server: Http2Server = createServer(async (req, res) => {
    calls.push({ path: req.url, timeout: req.headers["grpc-timeout"] as string | undefined });
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    bodies.push(Buffer.concat(parts));
    res.writeHead(200, { "content-type": "application/grpc", "grpc-status": String(status), "grpc-message": "peer says no" });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, calls, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("retries and deadlines against a failing peer", () => {
  it("retries UNAVAILABLE on a listed method up to maxAttempts, with the method's deadline", async () => {
    const peer = await failingPeer(Code.Unavailable);
    const retries: RetryEvent[] = [];
    const client = createBosaClient({ baseUrl: peer.url, onRetry: (e) => void retries.push(e) });
    try {
      await assert.rejects(client.connectors.listConnectors({}), (err: BosaError) => err.code === Code.Unavailable);
      assert.equal(peer.calls.length, 4);
      assert.deepEqual(retries.map((r) => r.attempt), [1, 2, 3]);
      assert.ok(retries.every((r) => r.method === "bosa.v1.ConnectorService/ListConnectors" && r.delayMs >= 0 && r.delayMs <= 2000));
      // grpc-timeout is the remaining time of the one deadline (15s) spanning every attempt.
      const ms = (t: string | undefined) => Number(/^(\d+)m$/.exec(t ?? "")?.[1]);
      assert.ok(peer.calls.every((c) => ms(c.timeout) > 10_000 && ms(c.timeout) <= 15_000), JSON.stringify(peer.calls));
    } finally {
      client.close();
      await peer.close();
    }
  });

  it("retries a server stream that failed before its first message, sending the request again", async () => {
    const peer = await failingPeer(Code.Unavailable);
    const client = createBosaClient({ baseUrl: peer.url });
    try {
      await assert.rejects(async () => {
        for await (const _ of client.paginate("github", "list_commits", { owner: "acme" })) break;
      }, (err: BosaError) => err.code === Code.Unavailable);
      assert.deepEqual(peer.calls.map((c) => c.path), Array(4).fill("/bosa.v1.ActionService/Paginate"));
      assert.ok(peer.bodies.every((b) => b.length > 5 && b.equals(peer.bodies[0]!)), "every attempt sends the request");
    } finally {
      client.close();
      await peer.close();
    }
  });

  it("does not retry a method the config does not list, nor another code", async () => {
    for (const [status, call] of [
      [Code.Unavailable, (c: ReturnType<typeof createBosaClient>) => c.createUser("someone")],
      [Code.Internal, (c: ReturnType<typeof createBosaClient>) => c.connectors.listConnectors({})],
    ] as const) {
      const peer = await failingPeer(status);
      const client = createBosaClient({ baseUrl: peer.url, onRetry: () => assert.fail("retried") });
      try {
        await assert.rejects(call(client), (err: BosaError) => err.code === status);
        assert.equal(peer.calls.length, 1);
      } finally {
        client.close();
        await peer.close();
      }
    }
  });

  it("a method's deadline comes from the config unless the client or the call sets one", async () => {
    const peer = await failingPeer(Code.Internal);
    const client = createBosaClient({ baseUrl: peer.url });
    const timed = createBosaClient({ baseUrl: peer.url, timeoutMs: 5_000 });
    try {
      await assert.rejects(client.execute("github", "get_repository"));
      await assert.rejects(async () => {
        for await (const _ of client.paginate("github", "list_commits")) break;
      });
      await assert.rejects(timed.connectors.listConnectors({}));
      await assert.rejects(client.connectors.listConnectors({}, { timeoutMs: 1_000 }));
      const ms = peer.calls.map((c) => (c.timeout === undefined ? undefined : Number(c.timeout.slice(0, -1))));
      assert.ok(ms[0]! > 55_000 && ms[0]! <= 60_000, `ExecuteAction ${ms[0]}`);
      assert.equal(ms[1], undefined, "Paginate has no deadline in the config");
      assert.ok(ms[2]! > 4_000 && ms[2]! <= 5_000, `client default ${ms[2]}`);
      assert.ok(ms[3]! > 500 && ms[3]! <= 1_000, `call option ${ms[3]}`);
    } finally {
      client.close();
      timed.close();
      await peer.close();
    }
  });
});

describe("gateway restart", () => {
  let gateways: Gateway[] = [];
  after(async () => {
    for (const g of gateways) await g.stop();
  });

  it("a call made while the gateway is down succeeds once it is back on the same port", async () => {
    const first = await startGateway();
    gateways.push(first);
    let second: Promise<Gateway> | undefined;
    const retries: RetryEvent[] = [];
    const client = createBosaClient({
      baseUrl: first.baseUrl,
      // The first failed attempt brings the gateway back; the retry waits for it (no race with the backoff).
      onRetry: async (e) => {
        retries.push(e);
        second ??= startGateway({ grpcAddr: first.grpcAddr, httpAddr: first.httpAddr });
        gateways.push(await second);
      },
    });
    try {
      assert.ok((await client.connectors.listConnectors({})).connectors.length > 0);
      await first.stop();
      gateways = gateways.filter((g) => g !== first);
      const res = await client.connectors.listConnectors({});
      assert.ok(res.connectors.length > 0);
      assert.ok(retries.length >= 1 && retries.every((r) => r.error.code === Code.Unavailable), JSON.stringify(retries.map((r) => r.error.message)));
    } finally {
      client.close();
    }
  });
});

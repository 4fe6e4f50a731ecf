// Test helpers: a real `bosa-gateway --sandbox` on free ports, and a local OAuth2 callback page.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest directory above this file with a go.mod. */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "go.mod"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("go.mod not found above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

export interface Gateway {
  /** gRPC base URL for createBosaClient, e.g. "http://127.0.0.1:43123". */
  baseUrl: string;
  /** REST base URL, also the Connect and gRPC-Web base URL for createBosaWebClient. */
  httpBase: string;
  /** The listen addresses (host:port), to start another gateway on the same ports. */
  grpcAddr: string;
  httpAddr: string;
  stop(): Promise<void>;
}

/** Options of startGateway. */
export interface GatewayOptions {
  /** Listen addresses; free ports when unset. */
  grpcAddr?: string;
  httpAddr?: string;
  /** More flags, e.g. ["--cors-allowed-origins", origin]. */
  args?: string[];
}

/**
 * Builds cmd/bosa-gateway and runs it with --sandbox on ports the OS picks; the addresses come
 * from the session banner it prints, then /healthz is polled.
 */
export async function startGateway(o: GatewayOptions = {}): Promise<Gateway> {
  const binary = gatewayBinary();
  const proc = spawn(
    binary,
    [
      "--sandbox",
      "--grpc-addr",
      o.grpcAddr ?? "127.0.0.1:0",
      "--http-addr",
      o.httpAddr ?? "127.0.0.1:0",
      "--log-level",
      "warn",
      ...(o.args ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  // Never leave the gateway running, even when the test process dies on an error.
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  let out = "";
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const addrs = await new Promise<{ grpc: string; http: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out}${err}`)), 30_000);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const grpc = /gRPC \((\S+?)\)/.exec(out)?.[1];
      const http = /REST \((https?:\/\/\S+?)\)/.exec(out)?.[1];
      if (grpc && http) {
        clearTimeout(timer);
        resolve({ grpc, http });
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${out}${err}`));
    });
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(addrs.http + "/healthz")).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("gateway /healthz never answered 200");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    baseUrl: "http://" + addrs.grpc,
    httpBase: addrs.http,
    grpcAddr: addrs.grpc,
    httpAddr: new URL(addrs.http).host,
    stop: async () => {
      await stop(proc);
      process.removeListener("exit", kill);
    },
  };
}

let built: string | undefined;

/** Builds cmd/bosa-gateway once per test process (a restart on the same port starts at once). */
function gatewayBinary(): string {
  if (built) return built;
  const tmp = mkdtempSync(join(tmpdir(), "bosa-gateway-ts-"));
  process.once("exit", () => rmSync(tmp, { recursive: true, force: true }));
  const binary = join(tmp, "bosa-gateway");
  execFileSync("go", ["build", "-o", binary, "./cmd/bosa-gateway"], { cwd: repoRoot, stdio: "inherit" });
  return (built = binary);
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A local HTTP server standing in for the application's OAuth2 callback page. */
export interface CallbackPage {
  url: string;
  /** Query strings of the requests it received, in order. */
  queries: URLSearchParams[];
  close(): Promise<void>;
}

export async function startCallbackPage(): Promise<CallbackPage> {
  const queries: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    queries.push(new URL(req.url ?? "/", "http://localhost").searchParams);
    res.writeHead(200, { "content-type": "text/plain" }).end("integration connected");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("callback page has no port");
  return {
    url: `http://127.0.0.1:${addr.port}/oauth/done`,
    queries,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

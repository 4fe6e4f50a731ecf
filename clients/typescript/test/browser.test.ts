// The browser entry point in a real headless Chromium (Debian's chromium, driven by playwright-core):
// a page served here loads the client bundled by esbuild for the browser and runs the user journey
// against a live gateway over Connect and over gRPC-Web, with CORS configured for the page's origin,
// and a call to a gateway that is down, retried by the service config's policy.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { chromium, type BrowserContext } from "playwright-core";
import { repoRoot, startGateway, type Gateway } from "./gateway.js";

const pkg = join(repoRoot, "clients", "typescript");

/** Bundles a module for the browser; esbuild's browser platform fails on any Node built-in. */
function bundle(entry: string) {
  return build({
    entryPoints: [join(pkg, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
}

describe("browser bundle", () => {
  it("has no Node built-in and no connect-node", async () => {
    const result = await bundle("browser/page.ts");
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((i) => i.includes("@connectrpc/connect-web")), "connect-web is bundled");
    assert.ok(inputs.some((i) => i.includes("dist/web.js")), "the package's web entry is bundled");
    assert.deepEqual(inputs.filter((i) => i.startsWith("node:") || i.includes("connect-node")), []);
  });

  it("the Node entry does not bundle for the browser (the check above can fail)", async () => {
    await assert.rejects(bundle("dist/index.js"), /node:/);
  });
});

describe("headless Chromium", () => {
  let gw: Gateway;
  let site: Server;
  let origin: string;
  let down: string;
  let script: string;
  let profile: string;
  let browser: BrowserContext;

  before(async () => {
    script = (await bundle("browser/page.ts")).outputFiles[0]!.text;
    site = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://page").pathname;
      if (path === "/page.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(script);
      if (path === "/") {
        return res
          .writeHead(200, { "content-type": "text/html" })
          .end('<!doctype html><html><body data-state="running"><pre id="out"></pre><script type="module" src="/page.js"></script></body></html>');
      }
      res.writeHead(200, { "content-type": "text/plain" }).end("integration connected"); // the OAuth2 callback
    });
    await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
    gw = await startGateway({ args: ["--cors-allowed-origins", origin] });
    // A port nothing listens on, for the page's "gateway down" call.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    down = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r));
    profile = mkdtempSync(join(tmpdir(), "bosa-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await new Promise((r) => site?.close(r));
    await gw?.stop();
  });

  for (const protocol of ["connect", "grpc-web"]) {
    it(`lists connectors, runs an action and reads two Paginate pages over ${protocol}`, async () => {
      const page = await browser.newPage();
      const seen: string[] = []; // what the page did, for the failure message
      page.on("requestfailed", (r) => seen.push(`${r.url()}: ${r.failure()?.errorText}`));
      page.on("console", (m) => seen.push(`console ${m.type()}: ${m.text()}`));
      page.on("response", (r) => seen.push(`${r.status()} ${r.request().method()} ${r.url()}`));
      page.on("pageerror", (e) => seen.push(`page error: ${e.message}`));
      await page.goto(`${origin}/?protocol=${protocol}&gateway=${encodeURIComponent(gw.httpBase)}&down=${encodeURIComponent(down)}`);
      await page.waitForFunction("document.body && document.body.dataset.state !== \"running\"", undefined, { timeout: 60_000 }).catch(() => undefined);
      const state = await page.getAttribute("body", "data-state");
      const text = await page.textContent("#out");
      assert.equal(state, "done", `page ${state}: ${text}; ${seen.join("; ")}`);
      const shown = JSON.parse(text!);
      assert.equal(shown.protocol, protocol);
      assert.ok(shown.connectors.includes("github") && shown.connectors.includes("google_drive"), `connectors ${shown.connectors}`);
      assert.equal(shown.linked, true);
      assert.equal(shown.repository, "acme/web");
      assert.deepEqual(shown.pages, [
        { index: 0, commits: 2, hasNext: true },
        { index: 1, commits: 2, hasNext: true },
      ]);
      assert.equal(shown.error, 'INVALID_PARAMETERS {"input.repo":"is required"}');
      assert.equal(shown.unavailable, "Unavailable");
      assert.equal(shown.retries, 3, "ListConnectors: maxAttempts 4 in the service config");
      await page.close();
    });
  }
});

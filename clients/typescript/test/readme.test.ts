// The README's TypeScript example is examples/quickstart.ts verbatim, and it runs.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot, startGateway, type Gateway } from "./gateway.js";

const pkg = join(repoRoot, "clients", "typescript");

let gw: Gateway;
before(async () => {
  gw = await startGateway();
});
after(async () => {
  await gw?.stop();
});

it("README shows the example verbatim", () => {
  const example = readFileSync(join(pkg, "examples", "quickstart.ts"), "utf8");
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  assert.ok(readme.includes("```ts\n" + example + "```\n"), "README.md lacks examples/quickstart.ts");
});

it("the example runs against the gateway", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(pkg, "build-test", "examples", "quickstart.js"), gw.baseUrl], {
    timeout: 120_000,
  });
  assert.deepEqual(stdout.trimEnd().split("\n"), [
    "github connected: true",
    "google_drive connected: true",
    "acme/web is public",
    "74 open pull requests",
    "q3.csv text/csv true",
    "InvalidArgument INVALID_PARAMETERS { 'input.repo': 'is required' }",
  ]);
});

// The TypeScript examples of docs/clients.md are the files in examples/ verbatim, and they run.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot, startGateway, type Gateway } from "./gateway.js";

const pkg = join(repoRoot, "clients", "typescript");

const output: Record<string, string[]> = {
  quickstart: [
    "github connected: true",
    "google_drive connected: true",
    "acme/web is public",
    "74 open pull requests",
    "q3.csv text/csv true",
    "InvalidArgument INVALID_PARAMETERS { 'input.repo': 'is required' }",
  ],
  files: [
    "sample-20MiB.bin 20971520 b317f080b7b97f77",
    "copy.bin 20971520",
    "sample-1MiB.bin 1048576",
    'hello.txt "Hello from the BOSA sandbox!\\n"',
    "NotFound NOT_FOUND",
  ],
};

let gw: Gateway;
before(async () => {
  gw = await startGateway();
});
after(async () => {
  await gw?.stop();
});

for (const [name, lines] of Object.entries(output)) {
  describe(`examples/${name}.ts`, () => {
    it("docs/clients.md shows the example verbatim", () => {
      const example = readFileSync(join(pkg, "examples", name + ".ts"), "utf8");
      const doc = readFileSync(join(repoRoot, "docs", "clients.md"), "utf8");
      assert.ok(doc.includes("```ts\n" + example + "```\n"), `docs/clients.md lacks examples/${name}.ts`);
    });

    it("docs/clients.md shows its output", () => {
      const doc = readFileSync(join(repoRoot, "docs", "clients.md"), "utf8");
      assert.ok(doc.includes("```text\n" + lines.join("\n") + "\n```\n"), `docs/clients.md lacks the output of ${name}`);
    });

    it("runs against the gateway", async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [join(pkg, "build-test", "examples", name + ".js"), gw.baseUrl], {
        timeout: 120_000,
      });
      assert.deepEqual(stdout.trimEnd().split("\n"), lines);
    });
  });
}

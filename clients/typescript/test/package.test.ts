// The package as published: what `npm pack` puts in it, and that a consumer's TypeScript resolves
// its types (node16, nodenext, bundler, node10) and Node loads it (import and require).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "./gateway.js";

const pkg = join(repoRoot, "clients", "typescript");
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));

let tmp: string;
let files: string[];
let consumer: string;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "bosa-ts-pack-"));
  // The build ran before the tests (npm test); pack what it left in dist/.
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], { cwd: pkg, encoding: "utf8" }));
  files = (packed[0].files as { path: string }[]).map((f) => f.path).sort();
  // A consumer project with the packed package installed and its dependencies from ours.
  consumer = join(tmp, "consumer");
  const modules = join(consumer, "node_modules");
  mkdirSync(join(modules, "@bosa"), { recursive: true });
  execFileSync("tar", ["-xzf", join(tmp, packed[0].filename), "-C", tmp]);
  renameSync(join(tmp, "package"), join(modules, "@bosa", "gateway-client"));
  for (const dep of ["@bufbuild", "@connectrpc", "@types"]) symlinkSync(join(pkg, "node_modules", dep), join(modules, dep));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

describe("npm pack", () => {
  it("holds only the build, README, LICENSE and package.json", () => {
    const unexpected = files.filter((f) => !/^(dist\/.+\.(js|d\.ts)|dist\/cjs\/package\.json|README\.md|LICENSE|package\.json)$/.test(f));
    assert.deepEqual(unexpected, []);
    for (const f of ["README.md", "LICENSE", "dist/index.js", "dist/index.d.ts", "dist/web.js", "dist/cjs/index.js", "dist/cjs/web.d.ts", "dist/cjs/package.json"]) {
      assert.ok(files.includes(f), `${f} missing from the package`);
    }
    assert.deepEqual(files.filter((f) => /test|\.ts$/.test(f) && !f.endsWith(".d.ts")), []);
  });

  it("is publishable: not private, Apache-2.0, ranges for runtime dependencies", () => {
    assert.equal(manifest.private, undefined);
    assert.equal(manifest.license, "Apache-2.0");
    for (const [name, range] of Object.entries(manifest.dependencies as Record<string, string>)) {
      assert.match(range, /^\^\d/, `${name}: ${range}`);
    }
  });
});

const esm = `import { createBosaClient, ErrorReason, type BosaClient } from "@bosa/gateway-client";
import { createBosaWebClient, type BosaWebClient } from "@bosa/gateway-client/web";
import { ActionService } from "@bosa/gateway-client/gen/bosa/v1/action_pb";
const node: BosaClient = createBosaClient({ baseUrl: "http://localhost:50051" });
const web: BosaWebClient = createBosaWebClient({ baseUrl: "http://localhost:8080", protocol: "grpc-web" });
const reason: ErrorReason = ErrorReason.NOT_FOUND;
export const used = [node, web, reason, ActionService.typeName];
`;
const cjs = `import { createBosaClient, type BosaClient } from "@bosa/gateway-client";
import { createBosaWebClient } from "@bosa/gateway-client/web";
const node: BosaClient = createBosaClient({ baseUrl: "http://localhost:50051" });
export const used = [node, createBosaWebClient];
`;

describe("a consumer's TypeScript resolves the types", () => {
  for (const [name, options, sources] of [
    ["node16", { module: "node16", moduleResolution: "node16" }, { "esm.mts": esm, "cjs.cts": cjs }],
    ["nodenext", { module: "nodenext", moduleResolution: "nodenext" }, { "esm.mts": esm, "cjs.cts": cjs }],
    ["bundler", { module: "esnext", moduleResolution: "bundler" }, { "esm.ts": esm }],
    ["node10", { module: "commonjs", moduleResolution: "node10" }, { "cjs.ts": cjs }],
  ] as const) {
    it(name, () => {
      const dir = join(consumer, name);
      mkdirSync(dir);
      for (const [file, text] of Object.entries(sources)) writeFileSync(join(dir, file), text);
      const config = { compilerOptions: { ...options, target: "es2022", strict: true, noEmit: true, types: ["node"] }, include: ["*"] };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
      try {
        execFileSync(process.execPath, [join(pkg, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { cwd: dir, encoding: "utf8" });
      } catch (err) {
        assert.fail(`tsc (${name}): ${(err as { stdout?: string }).stdout}`);
      }
    });
  }
});

describe("Node loads the package", () => {
  for (const [how, code, type] of [
    ["import", 'const m = await import("@bosa/gateway-client"); const w = await import("@bosa/gateway-client/web");', "module"],
    ["require", 'const m = require("@bosa/gateway-client"); const w = require("@bosa/gateway-client/web");', "commonjs"],
  ] as const) {
    it(how, () => {
      const out = execFileSync(
        process.execPath,
        ["--input-type=" + type, "-e", `${code} console.log(typeof m.createBosaClient, typeof w.createBosaWebClient, m.ErrorReason.NOT_FOUND)`],
        { cwd: consumer, encoding: "utf8" },
      );
      assert.equal(out.trim(), "function function 9");
    });
  }
});

// Streamed files (openDownload, download, downloadBytes, upload) against a real sandbox gateway.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { ConnectError } from "@connectrpc/connect";
import {
  BosaError,
  Code,
  createBosaClient,
  ErrorReason,
  toJsonValue,
  type BosaClient,
  type ExecuteActionResponse,
  type JsonObject,
  type UploadFile,
} from "@bosa/gateway-client";
import { startCallbackPage, startGateway, type CallbackPage, type Gateway } from "./gateway.js";

// SHA-256 of seeded google_drive files, as the sandbox generates them (sandbox.DemoFileContent).
const seeded = {
  "f-20m": { name: "sample-20MiB.bin", type: "application/octet-stream", size: 20 << 20, sha256: "b317f080b7b97f7770177d046e9e674a3b0bca049eaba4b66da1ba987ef4df64" },
  "f-0114": { name: "budget-0114.txt", type: "text/plain", size: 102_866, sha256: "2589420a1796300504558d8e94c82cc44bccaed635ad7b7092f479b6eed5f4c8" },
};
const hello = "Hello from the BOSA sandbox!\n";

let gw: Gateway;
let client: BosaClient;
let page: CallbackPage;
let alice: BosaClient; // a user with Google Drive connected
let tmp: string;

before(async () => {
  gw = await startGateway();
  client = createBosaClient({ baseUrl: gw.baseUrl, timeoutMs: 60_000 });
  page = await startCallbackPage();
  const identifier = "files-" + randomUUID().slice(0, 12);
  const user = await client.createUser(identifier);
  alice = client.withCredentials({ token: await client.authenticate(identifier, user.secret) });
  const { url } = await alice.integrations.initiateIntegration({ connector: "google_drive", callbackUrl: page.url });
  assert.equal((await fetch(url)).status, 200);
  tmp = mkdtempSync(join(tmpdir(), "bosa-files-ts-"));
});

after(async () => {
  client?.close();
  await page?.close();
  await gw?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A Writable that hashes what it receives and keeps no bytes. */
class HashingWriter extends Writable {
  readonly hash = createHash("sha256");
  size = 0;
  largest = 0;
  override _write(chunk: Buffer, _enc: string, done: (err?: Error) => void) {
    this.hash.update(chunk);
    this.size += chunk.byteLength;
    this.largest = Math.max(this.largest, chunk.byteLength);
    done();
  }
}

const dataOf = (res: ExecuteActionResponse) => {
  assert.equal(res.result.case, "data");
  return toJsonValue(res.result.value) as JsonObject;
};

// Every byte value, then random bytes: ~25 chunks, the last one partial.
const payload = Buffer.concat([Uint8Array.from({ length: 256 * 2048 }, (_, i) => i % 256), randomBytes(300_001)]);

describe("download", () => {
  for (const [id, want] of Object.entries(seeded)) {
    it(`streams ${id} into a Writable byte-exact`, async () => {
      const sink = new HashingWriter();
      const meta = await alice.download("google_drive", "download_file", { file_id: id }, sink);
      assert.deepEqual([meta.filename, meta.contentType, meta.size], [want.name, want.type, BigInt(want.size)]);
      assert.deepEqual([sink.size, sink.hash.digest("hex")], [want.size, want.sha256]);
      assert.ok(sink.largest <= 32 * 1024, `chunk of ${sink.largest} bytes`); // the gateway's default chunks
      assert.ok(sink.writableFinished, "the Writable was ended");
    });
  }

  it("writes to a file", async () => {
    const path = join(tmp, "big.bin");
    await alice.download("google_drive", "download_file", { file_id: "f-20m" }, createWriteStream(path));
    assert.equal(statSync(path).size, 20 << 20);
    const hash = createHash("sha256");
    for await (const block of createReadStream(path)) hash.update(block as Buffer);
    assert.equal(hash.digest("hex"), seeded["f-20m"].sha256);
    rmSync(path);
  });

  it("iterates the chunks of an open download, with a chunk size", async () => {
    const { metadata, chunks } = await alice.openDownload("google_drive", "download_file", { file_id: "f-0114" }, { chunkSize: 10_000 });
    assert.equal(metadata.filename, "budget-0114.txt");
    const hash = createHash("sha256");
    const sizes: number[] = [];
    for await (const c of chunks) {
      hash.update(c);
      sizes.push(c.byteLength);
    }
    assert.equal(Math.max(...sizes), 10_000);
    assert.equal(sizes.reduce((a, b) => a + b), 102_866);
    assert.equal(hash.digest("hex"), seeded["f-0114"].sha256);
  });

  it("returns small files as bytes", async () => {
    const got = await alice.downloadBytes("google_drive", "download_file", { file_id: "f-hello" });
    assert.deepEqual([got.filename, got.contentType, Buffer.from(got.data).toString()], ["hello.txt", "text/plain; charset=utf-8", hello]);
    const empty = await alice.downloadBytes("google_drive", "download_file", { file_id: "f-empty" });
    assert.deepEqual([empty.filename, empty.data.byteLength], ["empty.txt", 0]);
  });

  it("a failing Writable cancels the download", async () => {
    let writes = 0;
    const full = new Writable({
      write(_chunk, _enc, done) {
        done(++writes === 2 ? new Error("disk full") : undefined);
      },
    });
    await assert.rejects(alice.download("google_drive", "download_file", { file_id: "f-20m" }, full), /disk full/);
    assert.equal(writes, 2);
    const got = await alice.downloadBytes("google_drive", "download_file", { file_id: "f-hello" });
    assert.equal(Buffer.from(got.data).toString(), hello);
  });

  it("leaving the chunks early cancels the download", async () => {
    const { chunks } = await alice.openDownload("google_drive", "download_file", { file_id: "f-20m" });
    for await (const c of chunks) {
      assert.ok(c.byteLength > 0);
      break;
    }
    const got = await alice.downloadBytes("google_drive", "download_file", { file_id: "f-hello" });
    assert.equal(Buffer.from(got.data).toString(), hello);
  });
});

describe("upload", () => {
  const sources: Record<string, () => Pick<UploadFile, "content" | "size">> = {
    bytes: () => ({ content: payload }),
    "file stream": () => {
      const path = join(tmp, "payload-" + randomUUID() + ".bin");
      writeFileSync(path, payload);
      return { content: createReadStream(path), size: payload.byteLength };
    },
    "async iterable of unknown size": () => ({
      content: (async function* () {
        for (let off = 0; off < payload.byteLength; off += 100_000) yield payload.subarray(off, off + 100_000);
      })(),
    }),
  };
  for (const [kind, source] of Object.entries(sources)) {
    it(`uploads from ${kind}, then downloads the same bytes`, async () => {
      const name = `upload-${randomUUID().slice(0, 8)}.bin`;
      const res = await alice.upload("google_drive", "upload_file", { name, description: "node test" }, [
        { parameter: "file", filename: name, contentType: "application/x-node-test", ...source() },
      ]);
      const meta = dataOf(res);
      assert.deepEqual([meta.name, meta.size, meta.mimeType], [name, payload.byteLength, "application/x-node-test"]);
      assert.equal(meta.md5Checksum, createHash("md5").update(payload).digest("hex"));
      const got = await alice.downloadBytes("google_drive", "download_file", { file_id: meta.id as string });
      assert.deepEqual([got.filename, got.contentType], [name, "application/x-node-test"]);
      assert.ok(Buffer.from(got.data).equals(payload), "downloaded bytes differ");
    });
  }

  const empties: Record<string, () => UploadFile["content"]> = {
    "bytes (finish on the header)": () => new Uint8Array(0),
    "a stream (finish in a message of its own)": () => Readable.from([]),
  };
  for (const [kind, content] of Object.entries(empties)) {
    it(`uploads an empty file from ${kind}`, async () => {
      const res = await alice.upload("google_drive", "upload_file", {}, [
        { parameter: "file", filename: "nothing.txt", contentType: "text/plain", content: content() },
      ]);
      const got = await alice.downloadBytes("google_drive", "download_file", { file_id: dataOf(res).id as string });
      assert.deepEqual([got.filename, got.data.byteLength], ["nothing.txt", 0]);
    });
  }

  it("a failing source cancels the upload and nothing is stored", async () => {
    const name = `broken-${randomUUID().slice(0, 8)}.bin`;
    let reads = 0;
    const broken = new Readable({
      read() {
        if (++reads > 2) this.destroy(new Error("source went away"));
        else this.push(payload.subarray(0, 300_000));
      },
    });
    await assert.rejects(
      alice.upload("google_drive", "upload_file", { name }, [{ parameter: "file", filename: name, content: broken }]),
      /source went away/,
    );
    // The size was unknown, so only the cancellation keeps a truncated file from being stored.
    const listed = await alice.execute("google_drive", "list_files", { name_contains: name });
    assert.deepEqual(dataOf(listed), []);
  });

  it("an upload retried with its requestId stores one file", async () => {
    const name = `idem-${randomUUID().slice(0, 8)}.txt`;
    const requestId = randomUUID();
    const send = () => alice.upload("google_drive", "upload_file", { name }, [{ parameter: "file", filename: name, content: Buffer.from("once") }], { requestId });
    const first = await send();
    assert.deepEqual(await send(), first);
    const listed = dataOf(await alice.execute("google_drive", "list_files", { name_contains: name })) as unknown as JsonObject[];
    assert.deepEqual(listed.map((f) => f["name"]), [name]);
  });

  it("aborting the signal cancels the upload and nothing is stored", async () => {
    const name = `aborted-${randomUUID().slice(0, 8)}.bin`;
    const abort = new AbortController();
    async function* slow() {
      yield payload.subarray(0, 300_000);
      yield payload.subarray(300_000, 600_000);
      abort.abort(); // the caller gives up while the source waits for more
      await new Promise(() => {});
    }
    const err = await alice
      .upload("google_drive", "upload_file", { name }, [{ parameter: "file", filename: name, content: slow() }], { signal: abort.signal })
      .then(() => assert.fail("no error"), (e: unknown) => e);
    assert.ok(err instanceof BosaError, String(err));
    assert.equal(err.code, Code.Canceled);
    assert.deepEqual(dataOf(await alice.execute("google_drive", "list_files", { name_contains: name })), []);
  });
});

describe("file errors", () => {
  type Case = { name: string; call: () => Promise<unknown>; code: Code; reason: ErrorReason; metadata?: Record<string, string> };
  const file = (parameter = "file") => [{ parameter, filename: "a.txt", contentType: "text/plain", content: new TextEncoder().encode("a") }];
  const cases: Case[] = [
    {
      name: "unknown file id", call: () => alice.download("google_drive", "download_file", { file_id: "f-nope" }, new HashingWriter()),
      code: Code.NotFound, reason: ErrorReason.NOT_FOUND, metadata: { upstream_status: "404" },
    },
    { name: "an action that answers JSON", call: () => alice.downloadBytes("google_drive", "list_files", {}), code: Code.FailedPrecondition, reason: ErrorReason.UPSTREAM_ERROR },
    { name: "upload to an unknown connector", call: () => alice.upload("gitlab", "upload_file", {}, file()), code: Code.NotFound, reason: ErrorReason.NOT_FOUND },
    {
      name: "upload to a parameter that is not a file", call: () => alice.upload("google_drive", "upload_file", {}, file("name")),
      code: Code.InvalidArgument, reason: ErrorReason.INVALID_REQUEST,
    },
    {
      name: "upload with an unknown integration",
      call: () => alice.withCredentials({ integration: "nobody@example.com" }).upload("google_drive", "upload_file", {}, file()),
      code: Code.FailedPrecondition, reason: ErrorReason.INTEGRATION_MISSING, metadata: { upstream_status: "404" },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const err = await c.call().then(
        () => assert.fail("no error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof BosaError, String(err));
      assert.equal(err.code, c.code, `code ${Code[err.code]}: ${err.message}`);
      assert.equal(err.errorReason, c.reason, err.reason);
      assert.equal(err.domain, "bosa.dev");
      for (const [k, v] of Object.entries(c.metadata ?? {})) assert.equal(err.metadata[k], v);
      assert.ok(err.cause instanceof ConnectError);
    });
  }

  it("a failed download destroys the Writable, as stream.pipeline does", async () => {
    const dest = createWriteStream(join(tmp, "never.bin"));
    await assert.rejects(alice.download("google_drive", "download_file", { file_id: "f-nope" }, dest), BosaError);
    assert.ok(dest.destroyed);
  });
});

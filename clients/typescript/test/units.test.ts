// Offline checks of the client layer: error decoding, JSON conversion and file streams.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BosaError, ErrorReason, toJsonValue } from "@bosa/gateway-client";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "@bosa/gateway-client/gen/google/rpc/error_details_pb";
import { DownloadFileResponseSchema, FileMetadataSchema, type DownloadFileResponse } from "@bosa/gateway-client";
// Internals, compiled along with the tests (so BosaError here is src/errors.ts's).
import { BosaError as SrcBosaError } from "../src/errors.js";
import {
  cancellableUpload,
  declaredSize,
  openDownload,
  uploadRequests,
  type UploadFile,
  type UploadRequest,
} from "../src/files.js";

it("BosaError reads ErrorInfo, BadRequest and RetryInfo", () => {
  const cause = new ConnectError("slow down", Code.ResourceExhausted, undefined, [
    { desc: ErrorInfoSchema, value: { reason: "RATE_LIMITED", domain: "bosa.dev", metadata: { upstream_status: "429" } } },
    { desc: BadRequestSchema, value: { fieldViolations: [{ field: "input.x", description: "bad" }] } },
    { desc: RetryInfoSchema, value: { retryDelay: { seconds: 2n, nanos: 500_000_000 } } },
  ]);
  const err = BosaError.from(cause);
  assert.equal(err.code, Code.ResourceExhausted);
  assert.equal(err.reason, "RATE_LIMITED");
  assert.equal(err.errorReason, ErrorReason.RATE_LIMITED);
  assert.equal(err.domain, "bosa.dev");
  assert.deepEqual(err.metadata, { upstream_status: "429" });
  assert.deepEqual(err.fieldViolations, { "input.x": "bad" });
  assert.equal(err.retryDelayMs, 2500);
  assert.equal(err.rawMessage, "slow down");
  assert.equal(err.message, "ResourceExhausted [RATE_LIMITED]: slow down");
  assert.equal(err.cause, cause);
  assert.equal(BosaError.from(err), err);
});

it("BosaError without details has an empty reason", () => {
  const err = BosaError.from(new Error("socket hang up"));
  assert.equal(err.code, Code.Unknown);
  assert.equal(err.reason, "");
  assert.equal(err.errorReason, ErrorReason.ERROR_REASON_UNSPECIFIED);
  assert.deepEqual(err.metadata, {});
  assert.equal(err.retryDelayMs, undefined);
});

it("BosaError: a reason newer than the client, or of another domain, is unspecified", () => {
  for (const [reason, domain] of [["SOMETHING_NEWER", "bosa.dev"], ["RATE_LIMITED", "example.com"], ["toString", "bosa.dev"], ["1", "bosa.dev"]]) {
    const err = BosaError.from(new ConnectError("m", Code.Unknown, undefined, [{ desc: ErrorInfoSchema, value: { reason, domain } }]));
    assert.deepEqual([err.reason, err.errorReason], [reason, ErrorReason.ERROR_REASON_UNSPECIFIED]);
  }
});

it("toJsonValue converts google.protobuf.Value", () => {
  assert.equal(toJsonValue(undefined), null);
  assert.equal(toJsonValue(create(ValueSchema)), null);
  const v = create(ValueSchema, { kind: { case: "listValue", value: { values: [{ kind: { case: "numberValue", value: 1 } }, { kind: { case: "stringValue", value: "x" } }] } } });
  assert.deepEqual(toJsonValue(v), [1, "x"]);
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Indexes of the messages that set finish. */
const finishes = (msgs: UploadRequest[]) => msgs.flatMap((m, i) => (m.finish ? [i] : []));

const bytes = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) % 256);

it("uploadRequests sends the header, then each file's chunks in order, re-cut to the chunk size", async () => {
  const a = bytes(10_241);
  const pieces = [bytes(1000), bytes(5000, 1000), bytes(3, 6000), bytes(4000, 6003)]; // 10003 bytes
  async function* stream() {
    yield* pieces;
  }
  const files: UploadFile[] = [
    { parameter: "file", filename: "a.bin", content: a },
    { parameter: "attachments", filename: "b.bin", content: stream(), size: 10_003 },
    { parameter: "attachments", filename: "c.bin", content: [bytes(10), bytes(10, 10)] },
    { parameter: "attachments", filename: "d.bin", content: Readable.from([Buffer.from("node "), Buffer.from("readable")]) },
    { parameter: "attachments", filename: "empty.txt", content: new Uint8Array(0) },
  ];
  const msgs = await collect(uploadRequests({ connector: "c", action: "a" }, files, 4096));
  assert.equal(msgs[0]?.part?.case, "header");
  // The last chunk (of d.bin: empty.txt has none) ends the stream.
  assert.deepEqual(finishes(msgs), [msgs.length - 1]);
  const chunks = msgs.slice(1).map((m) => {
    assert.equal(m.part?.case, "chunk");
    return m.part.value as { fileIndex: number; data: Uint8Array };
  });
  assert.deepEqual(chunks.map((c) => [c.fileIndex, c.data.byteLength]), [
    [0, 4096], [0, 4096], [0, 2049],
    [1, 4096], [1, 4096], [1, 1811],
    [2, 20],
    [3, 13],
  ]);
  const of = (i: number) => Buffer.concat(chunks.filter((c) => c.fileIndex === i).map((c) => c.data));
  assert.deepEqual(of(0), Buffer.from(a));
  assert.deepEqual(of(1), Buffer.concat(pieces));
  assert.deepEqual(of(2), Buffer.from(bytes(20)));
  assert.equal(of(3).toString(), "node readable");
  assert.deepEqual(files.map(declaredSize), [10_241, 10_003, -1, -1, 0]);
});

it("uploadRequests sets finish on the header or a message of its own when there are no bytes", async () => {
  const header = { connector: "c", action: "a" };
  const empty = (filename: string, content: UploadFile["content"]) => ({ parameter: "file", filename, content });
  const cases: { name: string; files: UploadFile[]; parts: (string | undefined)[] }[] = [
    { name: "no files", files: [], parts: ["header"] },
    { name: "empty bytes", files: [empty("a", new Uint8Array(0)), empty("b", new Uint8Array(0))], parts: ["header"] },
    { name: "an empty stream", files: [empty("a", new Uint8Array(0)), empty("b", [])], parts: ["header", undefined] },
    { name: "a stream of empty pieces", files: [empty("a", Readable.from([Buffer.alloc(0)]))], parts: ["header", undefined] },
  ];
  for (const c of cases) {
    const msgs = await collect(uploadRequests(header, c.files, 4096));
    assert.deepEqual(msgs.map((m) => m.part?.case), c.parts, c.name);
    assert.deepEqual(finishes(msgs), [msgs.length - 1], c.name);
  }
});

it("uploadRequests holds back only one chunk, for finish", async () => {
  const reads: number[] = [];
  async function* stream() {
    for (let i = 0; i < 3; i++) {
      reads.push(i);
      yield bytes(10, i * 10);
    }
  }
  const it = uploadRequests({}, [{ parameter: "file", filename: "f", content: stream() }], 10);
  assert.equal((await it.next()).value?.part?.case, "header");
  assert.deepEqual(reads, [], "the header waits for no file");
  const first = (await it.next()).value;
  assert.deepEqual([reads, first?.finish], [[0, 1], undefined]);
  await it.next();
  const last = (await it.next()).value;
  assert.deepEqual([reads, last?.finish, (await it.next()).done], [[0, 1, 2], true, true]);
});

it("uploadRequests rejects content that is not bytes", async () => {
  const text = Readable.from(["some text"]);
  await assert.rejects(
    collect(uploadRequests({}, [{ parameter: "file", filename: "t.txt", content: text as AsyncIterable<Uint8Array> }])),
    (err: unknown) => err instanceof TypeError && /"t.txt": the content yielded string/.test(err.message),
  );
});

function responses(...parts: DownloadFileResponse["part"][]) {
  let closed = false;
  async function* gen() {
    try {
      for (const part of parts) yield create(DownloadFileResponseSchema, { part });
    } finally {
      closed = true;
    }
  }
  return { it: gen(), closed: () => closed };
}

const meta = (size: bigint) => ({ case: "metadata" as const, value: create(FileMetadataSchema, { filename: "f.bin", size }) });
const chunk = (s: string) => ({ case: "chunk" as const, value: new TextEncoder().encode(s) });

it("openDownload returns the metadata, then the bytes, and checks their size", async () => {
  const ok = responses(meta(6n), chunk("abc"), chunk("def"));
  const d = await openDownload(ok.it);
  assert.equal(d.metadata.filename, "f.bin");
  assert.equal(Buffer.concat(await collect(d.chunks)).toString(), "abcdef");

  const unknownSize = await openDownload(responses(meta(-1n), chunk("abc")).it);
  assert.equal((await collect(unknownSize.chunks)).length, 1);

  const short = await openDownload(responses(meta(6n), chunk("abc")).it);
  await assert.rejects(collect(short.chunks), (err: unknown) => err instanceof SrcBosaError && err.code === Code.DataLoss);

  for (const bad of [responses(chunk("abc")), responses()]) {
    await assert.rejects(openDownload(bad.it), (err: unknown) => err instanceof SrcBosaError && err.code === Code.Internal);
  }
});

it("leaving the chunks early closes the stream", async () => {
  const s = responses(meta(9n), chunk("abc"), chunk("def"), chunk("ghi"));
  const d = await openDownload(s.it);
  for await (const c of d.chunks) {
    assert.equal(c.byteLength, 3);
    break;
  }
  assert.equal(s.closed(), true);
});

it("cancellableUpload aborts the call when its source throws, without sending more", async () => {
  const header = { part: { case: "header" as const, value: {} } };
  const broken = new Error("source went away");
  async function* failing() {
    yield header;
    throw broken;
  }
  const up = cancellableUpload(failing());
  assert.deepEqual((await up.requests.next()).value, header);
  assert.equal(up.signal.aborted, false);
  assert.deepEqual(await up.requests.next(), { done: true, value: undefined });
  assert.equal(up.signal.reason, broken);
  assert.equal(up.failure()?.err, broken);
  up.close();
});

// A source whose next read never resolves, like a stream waiting for more bytes.
function stalled() {
  let closed = false;
  let reads = 0;
  const source: AsyncIterable<UploadRequest> & AsyncIterator<UploadRequest> = {
    [Symbol.asyncIterator]: () => source,
    next: () => (reads++ === 0 ? Promise.resolve({ done: false, value: { part: { case: "header", value: {} } } }) : new Promise(() => {})),
    return: async () => {
      closed = true;
      return { done: true, value: undefined };
    },
  };
  return { source, closed: () => closed };
}

it("cancellableUpload: the caller's signal ends a pending read, closes the source and aborts the call", async () => {
  const user = new AbortController();
  const s = stalled();
  const up = cancellableUpload(s.source, user.signal);
  await up.requests.next();
  const pending = up.requests.next();
  user.abort("stop");
  assert.deepEqual(await pending, { done: true, value: undefined });
  assert.deepEqual([up.signal.reason, up.failure(), s.closed()], ["stop", undefined, true]);
  up.close();

  const early = new AbortController();
  early.abort("before");
  const never = cancellableUpload(stalled().source, early.signal);
  assert.equal(never.signal.reason, "before");
  assert.equal((await never.requests.next()).done, true);
});

it("cancellableUpload: close() stops reading the source after the call ended", async () => {
  for (const pendingRead of [true, false]) {
    const s = stalled();
    const up = cancellableUpload(s.source);
    await up.requests.next();
    const pending = pendingRead ? up.requests.next() : undefined; // else suspended at the yield
    up.close();
    if (pending) assert.equal((await pending).done, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(s.closed(), true, `pending read: ${pendingRead}`);
  }
});

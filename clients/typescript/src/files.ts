// Streamed files: the UploadFiles request stream and the DownloadFile answer stream.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type {
  DownloadFileResponse,
  FileMetadata,
  UploadFilesHeaderSchema,
  UploadFilesRequestSchema,
} from "./gen/bosa/v1/action_pb.js";
import { BosaError } from "./errors.js";

/**
 * Bytes per UploadFiles chunk: a message of at most 32 KiB with its framing, the size that holds
 * the least memory in the gateway (see FileChunk.data).
 */
export const CHUNK_SIZE = 32 * 1024 - 64;

/** A file for upload(): the action parameter it is for, its name and type, and its content. */
export interface UploadFile {
  /** Name of the action's file parameter, e.g. "file". */
  parameter: string;
  /** File name, e.g. "q3-report.pdf". */
  filename: string;
  /** MIME type; the gateway uses application/octet-stream when unset. */
  contentType?: string;
  /**
   * The bytes, or a stream of them: a Node Readable (e.g. fs.createReadStream, without an
   * encoding), a web ReadableStream, or any (async) iterable of Uint8Array. Streams are read to
   * their end and re-cut into 32 KiB chunks.
   */
  content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /**
   * Size in bytes, when known for a stream (taken from a Uint8Array). A declared size makes the
   * gateway reject a stream that delivers another number of bytes.
   */
  size?: number;
}

/** An open DownloadFile stream: the file's metadata, then its bytes. */
export interface FileDownload {
  /** The file's name, type and size (-1 when unknown). */
  metadata: FileMetadata;
  /**
   * The file's bytes, chunk by chunk; iterate it to the end, or leave the loop (or call
   * return()) to cancel the call. Rejects with BosaError, also DATA_LOSS when the bytes do not
   * add up to metadata.size.
   */
  chunks: AsyncIterableIterator<Uint8Array>;
}

/** One message of the UploadFiles stream, as uploadRequests() yields it. */
export type UploadRequest = MessageInitShape<typeof UploadFilesRequestSchema>;

/**
 * The UploadFiles stream: the header, then every file's chunks in header order, with finish set on
 * the last message only. Each chunk is sent once the next one was read, so the last chunk carries
 * finish; the header does when no file can have bytes, and a message with only finish ends a
 * stream whose files turned out empty. A stream cut short (a failing content, a cancelled call)
 * thus never carries finish, and the gateway stores nothing.
 */
export async function* uploadRequests(
  header: MessageInitShape<typeof UploadFilesHeaderSchema>,
  files: readonly UploadFile[],
  chunkSize = CHUNK_SIZE,
): AsyncGenerator<UploadRequest> {
  if (files.every((f) => f.content instanceof Uint8Array && f.content.byteLength === 0)) {
    yield { part: { case: "header", value: header }, finish: true };
    return;
  }
  yield { part: { case: "header", value: header } };
  let last: UploadRequest | undefined;
  for (const [fileIndex, f] of files.entries()) {
    for await (const data of rechunk(f, chunkSize)) {
      if (last) yield last;
      last = { part: { case: "chunk", value: { fileIndex, data } } };
    }
  }
  yield { ...last, finish: true };
}

/** The declared size of an upload: its own, a Uint8Array's length, else -1 (unknown). */
export function declaredSize(f: UploadFile): number {
  if (f.content instanceof Uint8Array) return f.content.byteLength;
  return f.size ?? -1;
}

/** Cuts a file's content into chunks of exactly `size` bytes (the last one may be shorter). */
async function* rechunk(f: UploadFile, size: number): AsyncGenerator<Uint8Array> {
  const content = f.content;
  if (content instanceof Uint8Array) {
    for (let off = 0; off < content.byteLength; off += size) yield content.subarray(off, off + size);
    return;
  }
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const piece of content as AsyncIterable<unknown>) {
    if (!(piece instanceof Uint8Array)) {
      throw new TypeError(
        `upload ${JSON.stringify(f.filename)}: the content yielded ${typeof piece}, not a Uint8Array (a Readable with an encoding?)`,
      );
    }
    let rest = piece;
    while (pendingBytes + rest.byteLength >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield concat(pending, size);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.byteLength > 0) {
      pending.push(rest);
      pendingBytes += rest.byteLength;
    }
  }
  if (pendingBytes > 0) yield concat(pending, pendingBytes);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/**
 * Reads the first message of a DownloadFile stream, which must be the file's metadata, and
 * returns the metadata with the rest of the stream as the file's bytes. `stream` must close the
 * call when its return() is called.
 */
export async function openDownload(stream: AsyncIterator<DownloadFileResponse>): Promise<FileDownload> {
  const first = await stream.next();
  if (first.done || first.value.part.case !== "metadata") {
    await stream.return?.();
    throw protocolError("DownloadFile: the stream did not start with the file's metadata", Code.Internal);
  }
  const metadata = first.value.part.value;
  let received = 0;
  const chunks: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const r = await stream.next();
      if (r.done) {
        if (metadata.size >= 0 && BigInt(received) !== metadata.size) {
          throw protocolError(`DownloadFile: received ${received} bytes of a file of ${metadata.size}`, Code.DataLoss);
        }
        return { done: true, value: undefined };
      }
      if (r.value.part.case !== "chunk") {
        await stream.return?.();
        throw protocolError("DownloadFile: metadata sent twice", Code.Internal);
      }
      received += r.value.part.value.byteLength;
      return { done: false, value: r.value.part.value };
    },
    async return() {
      await stream.return?.();
      return { done: true, value: undefined };
    },
  };
  return { metadata, chunks };
}

function protocolError(message: string, code: Code): BosaError {
  return new BosaError(new ConnectError(message, code));
}

/**
 * An UploadFiles request stream that ends as soon as the call is to be cancelled: when `cancel`
 * aborts or when `requests` throws, it stops reading `requests` (closing it, which destroys a
 * Readable) and aborts the call through `signal`. The stream then lacks the finish of its last
 * message, so the gateway stores nothing, even though Connect-node ends the HTTP/2 request stream
 * normally (END_STREAM) before it resets it.
 *
 * `failure()` returns what `requests` threw, to be reported instead of the call's own error.
 * Call `close()` when the call has ended: it stops reading `requests` if the call ended first.
 */
export function cancellableUpload(
  requests: AsyncIterable<UploadRequest>,
  cancel?: AbortSignal,
): {
  requests: AsyncGenerator<UploadRequest>;
  signal: AbortSignal;
  failure(): { err: unknown } | undefined;
  close(): void;
} {
  const controller = new AbortController();
  let failure: { err: unknown } | undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) =>
    controller.signal.addEventListener("abort", () => resolve(ABORTED), { once: true }),
  );
  const onCancel = () => controller.abort(cancel?.reason);
  if (cancel?.aborted) onCancel();
  else cancel?.addEventListener("abort", onCancel, { once: true });
  async function* stream(): AsyncGenerator<UploadRequest> {
    const source = requests[Symbol.asyncIterator]();
    let done = false;
    try {
      while (!controller.signal.aborted) {
        let r: IteratorResult<UploadRequest> | typeof ABORTED;
        try {
          r = await Promise.race([source.next(), aborted]);
        } catch (err) {
          done = true; // a generator that threw is finished
          failure = { err };
          controller.abort(err);
          return;
        }
        if (r === ABORTED) return;
        if (r.done) {
          done = true;
          return;
        }
        yield r.value;
      }
    } finally {
      if (!done) source.return?.(undefined).catch(() => undefined);
    }
  }
  const out = stream();
  return {
    requests: out,
    signal: controller.signal,
    failure: () => failure,
    close() {
      cancel?.removeEventListener("abort", onCancel);
      controller.abort(); // ends a pending read of `requests`
      out.return(undefined).catch(() => undefined); // and one suspended at a yield
    },
  };
}

const ABORTED = Symbol("aborted");

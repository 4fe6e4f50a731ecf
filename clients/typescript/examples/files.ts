// Files: streamed downloads and uploads through the BOSA gateway, from TypeScript.
//
// Run against a gateway started with `go run ./cmd/bosa-gateway --sandbox`:
//
//   node build-test/examples/files.js http://localhost:50051
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BosaError, Code, createBosaClient, ErrorReason, toJsonValue, type BosaClient, type JsonObject } from "@bosa/gateway-client";

async function main(baseUrl: string): Promise<void> {
  const client = createBosaClient({ baseUrl, timeoutMs: 60_000 });
  const dir = mkdtempSync(join(tmpdir(), "bosa-files-"));
  try {
    const identifier = "bob-" + randomBytes(4).toString("hex");
    const user = await client.createUser(identifier);
    const bob = client.withCredentials({ token: await client.authenticate(identifier, user.secret) });
    await connectGoogleDrive(bob);

    // A 20 MiB file, streamed to disk in chunks: never whole in memory, here or in the gateway.
    const path = join(dir, "sample.bin");
    const meta = await bob.download("google_drive", "download_file", { file_id: "f-20m" }, createWriteStream(path));
    const hash = createHash("sha256");
    for await (const block of createReadStream(path)) hash.update(block);
    console.log(meta.filename, Number(meta.size), hash.digest("hex").slice(0, 16));

    // Back up from disk, streamed the same way; the result is the action's, as with execute().
    const copy = { parameter: "file", filename: "copy.bin", contentType: "application/octet-stream", content: createReadStream(path), size: statSync(path).size };
    const up = await bob.upload("google_drive", "upload_file", { description: "a copy" }, [copy]);
    const uploaded = toJsonValue(up.result.case === "data" ? up.result.value : undefined) as JsonObject;
    console.log(uploaded.name, uploaded.size);

    // The chunks themselves, as an async iterable; leaving the loop early cancels the download.
    const { metadata, chunks } = await bob.openDownload("google_drive", "download_file", { file_id: "f-1m" });
    let received = 0;
    for await (const chunk of chunks) received += chunk.byteLength;
    console.log(metadata.filename, received);

    // Small files as bytes.
    const hello = await bob.downloadBytes("google_drive", "download_file", { file_id: "f-hello" });
    console.log(hello.filename, JSON.stringify(new TextDecoder().decode(hello.data)));

    // Failures reject with BosaError: the gRPC code and the ErrorInfo reason, as for every call.
    try {
      await bob.downloadBytes("google_drive", "download_file", { file_id: "f-nope" });
    } catch (err) {
      if (!(err instanceof BosaError) || err.errorReason !== ErrorReason.NOT_FOUND) throw err;
      console.log(Code[err.code], err.reason);
    }
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * OAuth2 as in the quickstart: the sandbox's consent page agrees at once and sends the browser
 * (fetch here) to callbackUrl, a one-shot local page.
 */
async function connectGoogleDrive(client: BosaClient): Promise<void> {
  const page = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  const callbackUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/done`;
  const { url } = await client.integrations.initiateIntegration({ connector: "google_drive", callbackUrl });
  await (await fetch(url)).arrayBuffer();
  page.close();
}

await main(process.argv[2] ?? "http://localhost:50051");

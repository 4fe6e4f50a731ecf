// Quickstart: one user's journey through the BOSA gateway, from TypeScript.
//
// Run against a gateway started with `go run ./cmd/bosa-gateway --sandbox`:
//
//   node build-test/examples/quickstart.js http://localhost:50051
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { BosaError, Code, createBosaClient, ErrorReason, toJsonValue, type JsonObject } from "@bosa/gateway-client";

async function main(baseUrl: string): Promise<void> {
  // Without user credentials: add apiKey: "sk-client-..." when the gateway has no key of its own.
  const client = createBosaClient({ baseUrl, timeoutMs: 30_000 });
  try {
    const identifier = "alice-" + randomBytes(4).toString("hex"); // unique within the BOSA client
    // user.secret is shown only here; a retry with the same requestId creates nothing twice.
    const user = await client.createUser(identifier, { requestId: randomUUID() });
    const token = await client.authenticate(identifier, user.secret);
    const alice = client.withCredentials({ token }); // same connection, sends the bearer token

    // OAuth2: send the user's browser to the authorization URL; BOSA stores the
    // integration and redirects the browser to callbackUrl.
    for (const connector of ["github", "google_drive"]) {
      const page = await callbackPage();
      const { url } = await alice.integrations.initiateIntegration({ connector, callbackUrl: page.url });
      await openInBrowser(url);
      console.log(connector, "connected:", !(await page.query).has("error"));
    }

    // One action; the result is JSON data (toJsonValue makes it plain) or a file.
    const res = await alice.execute("github", "get_repository", { owner: "acme", repo: "web" });
    if (res.result.case === "data") {
      const repo = toJsonValue(res.result.value) as JsonObject;
      console.log(repo.full_name, "is", repo.private ? "private" : "public");
    }

    // Every page of a paged action, streamed.
    const titles: string[] = [];
    for await (const page of alice.paginate("github", "list_pull_requests", { owner: "acme", repo: "web", per_page: 20 })) {
      titles.push(...(toJsonValue(page.data) as JsonObject[]).map((pr) => pr.title as string));
    }
    console.log(titles.length, "open pull requests");

    // Files travel as bytes, both ways.
    const report = { parameter: "file", filename: "q3.csv", contentType: "text/csv", data: new TextEncoder().encode("quarter,total\nq3,42\n") };
    const up = await alice.execute("google_drive", "upload_file", {}, { files: [report] });
    const fileId = (toJsonValue(up.result.case === "data" ? up.result.value : undefined) as JsonObject).id as string;
    const down = await alice.execute("google_drive", "download_file", { file_id: fileId });
    if (down.result.case === "file") {
      const got = down.result.value;
      console.log(got.filename, got.contentType, Buffer.from(got.data).equals(report.data));
    }

    // Failures reject with BosaError: the gRPC code and the stable ErrorInfo reason, which
    // errorReason gives as a generated ErrorReason constant.
    try {
      await alice.execute("github", "get_repository", { owner: "acme" });
    } catch (err) {
      if (!(err instanceof BosaError) || err.errorReason !== ErrorReason.INVALID_PARAMETERS) throw err;
      console.log(Code[err.code], err.reason, err.fieldViolations);
    }
  } finally {
    client.close();
  }
}

/** Stands in for the user's browser: the sandbox's consent page agrees at once. */
async function openInBrowser(url: string): Promise<void> {
  await (await fetch(url)).arrayBuffer();
}

/** The application's OAuth2 callback page, on a free local port, for one redirect. */
async function callbackPage(): Promise<{ url: string; query: Promise<URLSearchParams> }> {
  let received: (q: URLSearchParams) => void;
  const query = new Promise<URLSearchParams>((resolve) => (received = resolve));
  const server = createServer((req, res) => {
    res.end();
    server.close();
    received(new URL(req.url ?? "/", "http://localhost").searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/integrations/done`, query };
}

await main(process.argv[2] ?? "http://localhost:50051");

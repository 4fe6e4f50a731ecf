// The whole user journey through createBosaClient against a real sandbox gateway.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
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
  type JsonValue,
} from "@bosa/gateway-client";
import { startCallbackPage, startGateway, type CallbackPage, type Gateway } from "./gateway.js";

let gw: Gateway;
let client: BosaClient;
let page: CallbackPage;

before(async () => {
  gw = await startGateway();
  client = createBosaClient({ baseUrl: gw.baseUrl, timeoutMs: 30_000 });
  page = await startCallbackPage();
});

after(async () => {
  client?.close();
  await page?.close();
  await gw?.stop();
});

const newIdentifier = () => "user-" + randomUUID().slice(0, 12);

/** A new user and a client that carries the user's token. */
async function newUser(): Promise<{ identifier: string; client: BosaClient }> {
  const identifier = newIdentifier();
  const user = await client.createUser(identifier);
  const token = await client.authenticate(identifier, user.secret);
  return { identifier, client: client.withCredentials({ token }) };
}

/**
 * The OAuth2 round trip: InitiateIntegration, then the user's browser, played by fetch,
 * follows the authorization URL and its redirects to the callback page.
 */
async function connect(c: BosaClient, connector: string): Promise<void> {
  const { url } = await c.integrations.initiateIntegration({ connector, callbackUrl: page.url });
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.ok(res.url.startsWith(page.url), res.url);
  assert.equal(await res.text(), "integration connected");
  assert.equal(page.queries.at(-1)?.get("error"), null);
}

/** A user with GitHub and Google Drive connected. */
async function connectedUser() {
  const u = await newUser();
  await connect(u.client, "github");
  await connect(u.client, "google_drive");
  return u;
}

const items = (v: JsonValue) => v as JsonObject[];
const dataOf = (res: ExecuteActionResponse): JsonValue => {
  assert.equal(res.result.case, "data");
  return toJsonValue(res.result.value);
};

describe("journey", () => {
  it("lists connectors and their actions", async () => {
    const { connectors } = await client.connectors.listConnectors({});
    assert.deepEqual(connectors.map((c) => c.name), ["github", "google_drive"]);
    const connector = await client.connectors.getConnector({ connector: "github" });
    const list = connector.actions.find((a) => a.name === "list_pull_requests");
    assert.ok((list?.parametersSchema?.properties as JsonObject)["owner"]);
  });

  it("creates a user and a token", async () => {
    const identifier = newIdentifier();
    const created = await client.createUser(identifier);
    assert.equal(created.identifier, identifier);
    assert.match(created.secret, /^sk-user-/);
    const token = await client.authenticate(identifier, created.secret);
    const user = await client.withCredentials({ token }).users.getCurrentUser({});
    assert.deepEqual([user.id, user.identifier, user.secret, user.active], [created.id, identifier, "", true]);
  });

  it("runs the OAuth2 integration round trip", async () => {
    const u = await newUser();
    assert.equal((await u.client.integrations.checkIntegration({ connector: "github" })).hasIntegration, false);
    await connect(u.client, "github");
    assert.equal((await u.client.integrations.checkIntegration({ connector: "github" })).hasIntegration, true);
    const { integrations } = await u.client.integrations.listIntegrations({ connector: "github" });
    assert.deepEqual(
      integrations.map((i) => [i.userIdentifier, i.selected]),
      [[u.identifier + "-gh", true]],
    );
    const repo = dataOf(await u.client.execute("github", "get_repository", { owner: "acme", repo: "web" })) as JsonObject;
    assert.equal(repo["full_name"], "acme/web");
    assert.equal(repo["viewer_login"], u.identifier + "-gh");
  });

  it("sends x-bosa-integration when an integration is chosen", async () => {
    const u = await connectedUser();
    await u.client.integrations.configureIntegration({
      connector: "github",
      configuration: { identifier: "work-account", token: "ghp_example" },
    });
    const work = u.client.withCredentials({ integration: "work-account" });
    const repo = dataOf(await work.execute("github", "get_repository", { owner: "acme", repo: "api" })) as JsonObject;
    assert.equal(repo["viewer_login"], "work-account");
    const dflt = dataOf(await u.client.execute("github", "get_repository", { owner: "acme", repo: "api" })) as JsonObject;
    assert.equal(dflt["viewer_login"], u.identifier + "-gh");
  });

  it("executes with page tokens", async () => {
    const u = await connectedUser();
    const first = await u.client.execute("github", "list_pull_requests", { owner: "acme", repo: "web", state: "all", per_page: 100 });
    const range = (from: number, to: number) => Array.from({ length: from - to }, (_, i) => from - i);
    assert.deepEqual(items(dataOf(first)).map((pr) => pr["number"]), range(237, 137));
    assert.equal(first.meta?.["total"], 237);
    assert.ok(first.nextPageToken);
    assert.equal(first.prevPageToken, "");
    const second = await u.client.execute("github", "list_pull_requests", undefined, { pageToken: first.nextPageToken });
    assert.deepEqual(items(dataOf(second)).map((pr) => pr["number"]), range(137, 37));
  });

  it("streams every page with paginate", async () => {
    const u = await connectedUser();
    const pages = [];
    for await (const p of u.client.paginate("github", "list_pull_requests", { owner: "acme", repo: "web", state: "all", per_page: 50 })) {
      pages.push(p);
    }
    assert.deepEqual(pages.map((p) => p.index), [0, 1, 2, 3, 4]);
    assert.deepEqual(pages.map((p) => p.hasNext), [true, true, true, true, false]);
    assert.ok(pages.slice(0, -1).every((p) => p.nextPageToken !== ""));
    assert.equal(pages.at(-1)?.nextPageToken, "");
    const numbers = pages.flatMap((p) => items(toJsonValue(p.data)).map((pr) => pr["number"]));
    assert.deepEqual(numbers, Array.from({ length: 237 }, (_, i) => 237 - i));
  });

  it("stops paginate at maxPages and on an early break", async () => {
    const u = await connectedUser();
    const sizes = [];
    for await (const p of u.client.paginate("github", "list_commits", { owner: "acme", repo: "api", per_page: 40 }, { maxPages: 2 })) {
      sizes.push(items(toJsonValue(p.data)).length);
    }
    assert.deepEqual(sizes, [40, 40]);
    for await (const p of u.client.paginate("github", "list_commits", { owner: "acme", repo: "web", per_page: 10 })) {
      assert.equal(p.index, 0);
      break;
    }
    const res = await u.client.execute("github", "get_repository", { owner: "acme", repo: "web" });
    assert.equal(res.upstreamStatus, 200);
  });

  it("uploads and downloads a file byte-exact", async () => {
    const u = await connectedUser();
    const every = Uint8Array.from({ length: 256 * 512 }, (_, i) => i % 256);
    const payload = Buffer.concat([every, randomBytes(100_001)]);
    const uploaded = dataOf(
      await u.client.execute("google_drive", "upload_file", { name: "report.bin" }, {
        files: [{ parameter: "file", filename: "report.bin", contentType: "application/octet-stream", data: payload }],
      }),
    ) as JsonObject;
    assert.equal(uploaded["name"], "report.bin");
    const down = await u.client.execute("google_drive", "download_file", { file_id: uploaded["id"] as string });
    assert.equal(down.result.case, "file");
    const file = down.result.value!;
    assert.equal(Buffer.compare(Buffer.from(file.data), payload), 0);
    assert.equal(file.filename, "report.bin");
    assert.equal(file.contentType, "application/octet-stream");
  });
});

describe("errors", () => {
  type Case = {
    name: string;
    call: (u: { identifier: string; client: BosaClient }) => Promise<unknown>;
    code: Code;
    reason: ErrorReason;
    metadata?: Record<string, string>;
    violations?: string[];
  };
  const cases: Case[] = [
    { name: "duplicate user", call: (u) => client.createUser(u.identifier), code: Code.AlreadyExists, reason: ErrorReason.ALREADY_EXISTS, metadata: { upstream_status: "400" } },
    { name: "wrong secret", call: (u) => client.authenticate(u.identifier, "sk-user-wrong"), code: Code.Unauthenticated, reason: ErrorReason.UNAUTHENTICATED, metadata: { upstream_status: "401" } },
    { name: "bad token", call: () => client.withCredentials({ token: "not-a-token" }).users.getCurrentUser({}), code: Code.Unauthenticated, reason: ErrorReason.UNAUTHENTICATED },
    {
      name: "unknown API key", call: (u) => client.withCredentials({ apiKey: "sk-client-unknown" }).createUser(u.identifier + "-2"),
      code: Code.Unauthenticated, reason: ErrorReason.UNAUTHENTICATED, metadata: { upstream_status: "401", upstream_code: "INVALID_CLIENT" },
    },
    {
      name: "invalid parameters",
      call: (u) => u.client.execute("github", "list_pull_requests", { owner: "acme", per_page: "many" }),
      code: Code.InvalidArgument, reason: ErrorReason.INVALID_PARAMETERS, violations: ["input.per_page", "input.repo"],
    },
    { name: "unknown connector", call: (u) => u.client.execute("gitlab", "list_merge_requests", {}), code: Code.NotFound, reason: ErrorReason.NOT_FOUND },
    {
      name: "integration missing", call: (u) => u.client.execute("github", "get_repository", { owner: "acme", repo: "web" }),
      code: Code.FailedPrecondition, reason: ErrorReason.INTEGRATION_MISSING, metadata: { upstream_status: "404" },
    },
    {
      name: "tampered page token", call: (u) => u.client.execute("github", "list_pull_requests", undefined, { pageToken: "AAAA" + "x".repeat(40) }),
      code: Code.InvalidArgument, reason: ErrorReason.INVALID_PAGE_TOKEN,
    },
    {
      name: "error inside a paginate stream",
      call: async (u) => {
        for await (const _ of u.client.paginate("github", "list_pull_requests", { repo: "web" })) {
          // no page arrives
        }
      },
      code: Code.InvalidArgument, reason: ErrorReason.INVALID_PARAMETERS, violations: ["input.owner"],
    },
  ];
  cases.push(
    ...(["getIntegration", "selectIntegration", "deleteIntegration"] as const).map((m) => ({
      name: `${m} of a missing integration`,
      call: (u: { client: BosaClient }) => u.client.integrations[m]({ connector: "github", userIdentifier: "nobody" }),
      code: Code.NotFound, reason: ErrorReason.NOT_FOUND,
    })),
    {
      name: "an 8,000-byte connector name",
      call: (u) => u.client.integrations.checkIntegration({ connector: "g".repeat(8000) }),
      code: Code.NotFound, reason: ErrorReason.NOT_FOUND,
    },
    {
      name: "an upload to connector ..",
      call: (u) => u.client.upload("..", "upload_file", {}, [{ parameter: "file", filename: "a.txt", content: Buffer.from("a") }]),
      code: Code.InvalidArgument, reason: ErrorReason.INVALID_REQUEST, violations: ["connector"],
    },
  );
  for (const c of cases) {
    it(c.name, async () => {
      const u = await newUser();
      const err = await c.call(u).then(
        () => assert.fail("no error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof BosaError, String(err));
      assert.equal(err.code, c.code, `code ${Code[err.code]}`);
      assert.equal(err.errorReason, c.reason, err.reason);
      assert.equal(err.reason, ErrorReason[c.reason]);
      assert.equal(err.domain, "bosa.dev");
      for (const [k, v] of Object.entries(c.metadata ?? {})) assert.equal(err.metadata[k], v);
      if (c.violations) assert.deepEqual(Object.keys(err.fieldViolations).sort(), c.violations);
      assert.ok(err.cause instanceof ConnectError);
      for (const secret of ["sk-user-", "sk-client-", "Bearer", "not-a-token"]) assert.ok(!err.message.includes(secret), err.message);
    });
  }
});

describe("contract", () => {
  it("createUser retried with its requestId creates one user and answers the same", async () => {
    const identifier = newIdentifier();
    const requestId = randomUUID();
    const first = await client.createUser(identifier, { requestId });
    const again = await client.createUser(identifier, { requestId });
    assert.deepEqual(again, first);
    const err = await client.createUser(identifier).then(() => assert.fail("created twice"), (e: unknown) => e);
    assert.ok(err instanceof BosaError && err.errorReason === ErrorReason.ALREADY_EXISTS, String(err));
  });

  it("lists page with pageSize and nextPageToken", async () => {
    const first = await client.connectors.listConnectors({ pageSize: 1 });
    const second = await client.connectors.listConnectors({ pageSize: 1, pageToken: first.nextPageToken });
    assert.deepEqual([first.connectors.map((c) => c.name), second.connectors.map((c) => c.name)], [["github"], ["google_drive"]]);
    assert.deepEqual([first.nextPageToken !== "", second.nextPageToken], [true, ""]);
  });

  it("select and delete answer no success flag; failures are in the status", async () => {
    const u = await connectedUser();
    const ref = { connector: "github", userIdentifier: "spare" };
    await u.client.integrations.configureIntegration({ connector: "github", configuration: { identifier: "spare", token: "t" }, requestId: randomUUID() });
    const selected = await u.client.integrations.selectIntegration(ref);
    assert.deepEqual(Object.keys(selected).filter((k) => k !== "$typeName"), []);
    assert.equal((await u.client.integrations.getIntegration(ref)).selected, true);
    await u.client.integrations.deleteIntegration(ref);
    const err = await u.client.integrations.getIntegration(ref).then(() => assert.fail("still there"), (e: unknown) => e);
    assert.ok(err instanceof BosaError && err.code === Code.NotFound && err.errorReason === ErrorReason.NOT_FOUND, String(err));
  });
});

// The browser test's page (test/browser.test.ts bundles it with esbuild for the browser): the user
// journey over Connect or gRPC-Web, with its results written into the page for the test to read.
import { BosaError, Code, createBosaWebClient, ErrorReason, toJsonValue, type JsonObject } from "@bosa/gateway-client/web";

const params = new URLSearchParams(location.search);
const out = document.getElementById("out")!;

async function journey(): Promise<JsonObject> {
  const protocol = params.get("protocol") === "grpc-web" ? "grpc-web" : "connect";
  const client = createBosaWebClient({ baseUrl: params.get("gateway")!, protocol, timeoutMs: 30_000 });
  const connectors = (await client.connectors.listConnectors({})).connectors.map((c) => c.name);

  const identifier = "browser-" + crypto.randomUUID().slice(0, 8);
  const user = await client.createUser(identifier);
  const alice = client.withCredentials({ token: await client.authenticate(identifier, user.secret) });
  const { url } = await alice.integrations.initiateIntegration({ connector: "github", callbackUrl: location.origin + "/callback" });
  await fetch(url, { mode: "no-cors" }); // the sandbox's consent page links the account on a GET
  const linked = (await alice.integrations.checkIntegration({ connector: "github" })).hasIntegration;

  const res = await alice.execute("github", "get_repository", { owner: "acme", repo: "web" });
  const repository = res.result.case === "data" ? (toJsonValue(res.result.value) as JsonObject).full_name : null;

  const pages: JsonObject[] = [];
  for await (const page of alice.paginate("github", "list_commits", { owner: "acme", repo: "web", per_page: 2 }, { maxPages: 2 })) {
    pages.push({ index: page.index, commits: (toJsonValue(page.data) as JsonObject[]).length, hasNext: page.hasNext });
  }

  let error = "";
  try {
    await alice.execute("github", "get_repository", { owner: "acme" });
  } catch (err) {
    if (err instanceof BosaError && err.errorReason === ErrorReason.INVALID_PARAMETERS) error = `${err.reason} ${JSON.stringify(err.fieldViolations)}`;
    else throw err;
  }

  // A gateway that is down: UNAVAILABLE, retried as the service config says, then reported.
  let retries = 0;
  const down = createBosaWebClient({ baseUrl: params.get("down")!, protocol, onRetry: () => void retries++ });
  const unavailable = await down.connectors.listConnectors({}).then(
    () => "answered",
    (err: unknown) => (err instanceof BosaError ? Code[err.code] : String(err)),
  );
  return { protocol, connectors, linked, repository, pages, error, unavailable, retries };
}

journey().then(
  (result) => {
    out.textContent = JSON.stringify(result);
    document.body.dataset.state = "done";
  },
  (err: unknown) => {
    out.textContent = String(err);
    document.body.dataset.state = "failed";
  },
);

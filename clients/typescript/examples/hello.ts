// The package README's Node example: node build-test/examples/hello.js http://localhost:50051
// (a gateway started with `go run ./cmd/bosa-gateway --sandbox`).
import { randomUUID } from "node:crypto";
import { BosaError, createBosaClient, ErrorReason } from "@bosa/gateway-client";

const client = createBosaClient({ baseUrl: process.argv[2] ?? "http://localhost:50051" });
try {
  const { connectors } = await client.connectors.listConnectors({});
  console.log("github available:", connectors.some((c) => c.name === "github"));

  const identifier = "hello-" + randomUUID().slice(0, 8);
  const user = await client.createUser(identifier, { requestId: randomUUID() });
  const me = client.withCredentials({ token: await client.authenticate(identifier, user.secret) });
  try {
    await me.execute("github", "get_repository", { owner: "acme", repo: "web" });
  } catch (err) {
    // Branch on the reason, never on the message.
    if (!(err instanceof BosaError) || err.errorReason !== ErrorReason.INTEGRATION_MISSING) throw err;
    console.log("not linked yet:", err.reason);
  }
  // The user links an account in their browser, at url; BOSA then redirects it to callbackUrl.
  const { url } = await me.integrations.initiateIntegration({ connector: "github", callbackUrl: "https://app.example/linked" });
  console.log("the user links github at a URL:", URL.canParse(url));
} finally {
  client.close();
}

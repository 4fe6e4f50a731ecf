# docs/clients.md, "TypeScript client": pack the package, install it into a new project and call the gateway,
# against `go run ./cmd/bosa-gateway --sandbox`.
(cd clients/typescript && npm ci && npm pack)
mkdir my-app && cd my-app && npm init -y >/dev/null && npm install ../clients/typescript/bosa-gateway-client-0.1.0.tgz
node --input-type=module -e '
import { createBosaClient } from "@bosa/gateway-client";
const client = createBosaClient({ baseUrl: "http://127.0.0.1:50051" });
const { connectors } = await client.connectors.listConnectors({});
console.log(connectors.map((c) => c.name).join(" "));
client.close();'

// The TypeScript SDK's OAuth client, driven the way the SDK's own example drives it
// (modelcontextprotocol/typescript-sdk, src/examples/client/simpleOAuthClient.ts, 1.32): connect, catch
// UnauthorizedError, wait for the callback, finishAuth, reconnect. The one difference: the authorize URL is opened
// with $BROWSER (as xdg-open and the `open` package do on a desktop-less Linux), and, as in the example, the
// callback server starts only after the browser was opened.
// Usage: node ts_sdk_oauth_client.mjs <mcp url> <callback port>. Prints one JSON line.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { InMemoryOAuthClientProvider } from "@modelcontextprotocol/sdk/examples/client/simpleOAuthClientProvider.js";

const [serverUrl, port] = process.argv.slice(2);
const callbackUrl = `http://127.0.0.1:${port}/callback`;

function openBrowser(url) {
  const child = spawn(process.env.BROWSER, [url.toString()], { stdio: "ignore" });
  child.on("error", (error) => console.error("cannot start $BROWSER:", error.message));
}

function waitForCallback() {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const params = new URL(req.url || "", "http://127.0.0.1").searchParams;
      res.writeHead(params.get("code") ? 200 : 400, { "Content-Type": "text/plain" });
      res.end(params.get("code") ? "ok" : "no code");
      server.close();
      params.get("code") ? resolve(params.get("code")) : reject(new Error(`callback: ${req.url}`));
    });
    server.listen(Number(port), "127.0.0.1");
  });
}

const metadata = {
  client_name: "authstage ts-sdk e2e",
  redirect_uris: [callbackUrl],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "client_secret_post",
};
const provider = new InMemoryOAuthClientProvider(callbackUrl, metadata, openBrowser);
const client = new Client({ name: "authstage-ts-e2e", version: "1.0.0" }, { capabilities: {} });

async function connect() {
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider });
  try {
    await client.connect(transport);
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    const code = await waitForCallback();
    await transport.finishAuth(code);
    await connect();
  }
}

const timer = setTimeout(() => { console.error("timed out"); process.exit(3); }, 60000);
await connect();
const tools = await client.listTools();
const call = await client.callTool({ name: "search-server___search", arguments: { q: "PKCE", limit: 1 } });
console.log(JSON.stringify({ tools: tools.tools.map((t) => t.name), isError: call.isError ?? false,
                             scope: provider.tokens()?.scope ?? null }));
clearTimeout(timer);
await client.close();

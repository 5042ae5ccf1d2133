/**
 * A local stand-in for GitHub's OAuth web flow and the two API calls the dashboard makes: the authorize page
 * (which signs in `user` at once and redirects back with a code and the state), the code-for-token exchange,
 * `GET /api/v3/user` and `GET /api/v3/user/installations`, laid out as on GitHub Enterprise Server.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeUser {
  login: string;
  installations: { id: number; account: string }[];
}

export interface FakeGitHubOAuth {
  base: string;
  /** The user the next authorize request signs in. */
  user: FakeUser;
  clientId: string;
  clientSecret: string;
  /** Requests seen, `METHOD path`, for assertions. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeGitHubOAuth(user: FakeUser): Promise<FakeGitHubOAuth> {
  const codes = new Map<string, FakeUser>();
  const tokens = new Map<string, FakeUser>();
  const fake: Omit<FakeGitHubOAuth, "base" | "close"> = { user, clientId: "Iv1.fakeclient", clientSecret: "fake-client-secret", requests: [] };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    fake.requests.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const redirect = url.searchParams.get("redirect_uri");
      const state = url.searchParams.get("state");
      if (url.searchParams.get("client_id") !== fake.clientId || redirect === null || state === null) return json(400, { error: "bad authorize request" });
      const code = randomBytes(8).toString("hex");
      codes.set(code, fake.user);
      const back = new URL(redirect);
      back.searchParams.set("code", code);
      back.searchParams.set("state", state);
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const given = JSON.parse(body) as { client_id?: string; client_secret?: string; code?: string };
        const who = given.code === undefined ? undefined : codes.get(given.code);
        if (given.client_id !== fake.clientId || given.client_secret !== fake.clientSecret || who === undefined) {
          return json(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
        }
        codes.delete(given.code ?? "");
        const token = `ghu_${randomBytes(12).toString("hex")}`;
        tokens.set(token, who);
        json(200, { access_token: token, token_type: "bearer", scope: "" });
      });
      return;
    }
    const who = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (who === undefined) return json(401, { message: "Bad credentials" });
    if (req.method === "GET" && url.pathname === "/api/v3/user") return json(200, { login: who.login, id: 1 });
    if (req.method === "GET" && url.pathname === "/api/v3/user/installations") {
      return json(200, { total_count: who.installations.length, installations: who.installations.map((i) => ({ id: i.id, account: { login: i.account } })) });
    }
    json(404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

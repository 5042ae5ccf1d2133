import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { authorizeUrl, exchangeCode, githubBases, userWithInstallations, type GitHubOAuthConfig } from "../../src/web/auth/github-oauth.js";
import { decodeSession } from "../../src/web/auth/session.js";
import { MAX_SESSION_COOKIE, sessionCookieValue } from "../../src/web/dashboard/github-sign-in.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { startDashboard, type RunningDashboard } from "../support/dashboard-server.js";
import { startFakeGitHubOAuth, type FakeGitHubOAuth } from "../support/fake-github-oauth.js";

const COM: GitHubOAuthConfig = { clientId: "Iv1.abc", clientSecret: "shh", ...githubBases({}) };

describe("GitHub's OAuth endpoints", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });
  afterAll(() => nock.enableNetConnect());

  it("uses github.com, or the Enterprise Server host for the pages and /api/v3 for the API", () => {
    expect(githubBases({})).toEqual({ webBase: "https://github.com", apiBase: "https://api.github.com" });
    expect(githubBases({ GHE_HOST: "ghe.corp.example" })).toEqual({ webBase: "https://ghe.corp.example", apiBase: "https://ghe.corp.example/api/v3" });
    expect(githubBases({ GHE_HOST: "ghe.local:8080", GHE_PROTOCOL: "http" })).toEqual({ webBase: "http://ghe.local:8080", apiBase: "http://ghe.local:8080/api/v3" });
    const url = new URL(authorizeUrl({ ...COM, ...githubBases({ GHE_HOST: "ghe.corp.example" }) }, "state123", "https://opforge.example/dashboard/oauth/callback"));
    expect(url.origin + url.pathname).toBe("https://ghe.corp.example/login/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: "Iv1.abc", state: "state123", redirect_uri: "https://opforge.example/dashboard/oauth/callback" });
  });

  it("exchanges a code for the user's token, and reports GitHub's refusal by its description", async () => {
    nock("https://github.com")
      .post("/login/oauth/access_token", { client_id: "Iv1.abc", client_secret: "shh", code: "good", redirect_uri: "https://x/cb" })
      .reply(200, { access_token: "ghu_123", token_type: "bearer" })
      .post("/login/oauth/access_token")
      .reply(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." })
      .post("/login/oauth/access_token")
      .reply(200, { unexpected: true });
    expect(await exchangeCode(COM, "good", "https://x/cb")).toEqual({ ok: true, value: "ghu_123" });
    expect(await exchangeCode(COM, "bad", "https://x/cb")).toEqual({ ok: false, reason: "GitHub refused the sign-in: The code passed is incorrect or expired." });
    expect(await exchangeCode(COM, "odd", "https://x/cb")).toEqual({ ok: false, reason: "GitHub answered the token exchange with HTTP 200" });
  });

  it("reads every page of the user's installations, and refuses an answer of another shape", async () => {
    const page = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i, account: { login: `org${from + i}` } }));
    nock("https://api.github.com", { reqheaders: { authorization: "Bearer ghu_1" } })
      .get("/user").reply(200, { login: "alice" })
      .get("/user/installations").query({ per_page: "100", page: "1" }).reply(200, { total_count: 130, installations: page(1, 100) })
      .get("/user/installations").query({ per_page: "100", page: "2" }).reply(200, { total_count: 130, installations: page(101, 30) });
    const user = await userWithInstallations(COM, "ghu_1");
    expect(user.ok && user.value.login).toBe("alice");
    expect(user.ok && user.value.installations.length).toBe(130);
    expect(user.ok && user.value.installations[129]).toEqual({ id: 130, account: "org130" });

    nock("https://api.github.com")
      .get("/user").reply(200, { login: "alice" })
      .get("/user/installations").query(true).reply(200, { total_count: 1, installations: [{ id: "1" }] });
    expect(await userWithInstallations(COM, "ghu_2")).toEqual({ ok: false, reason: "GitHub answered GET /user/installations with HTTP 200" });
    nock("https://api.github.com").get("/user").reply(401, { message: "Bad credentials" });
    expect(await userWithInstallations(COM, "ghu_3")).toEqual({ ok: false, reason: "GitHub answered GET /user with HTTP 401" });
  });
});

describe("the sign-in callback", () => {
  let db: Database;
  let github: FakeGitHubOAuth;
  let dashboard: RunningDashboard;
  beforeAll(async () => {
    db = openDatabase(":memory:");
    github = await startFakeGitHubOAuth({ login: "bob", installations: [{ id: 77, account: "bobs-org" }] });
    dashboard = await startDashboard(db, () => Date.parse("2026-11-25T12:00:00Z"), {
      sessionSecret: "callback-test-session-secret-0123456789",
      github: { clientId: github.clientId, clientSecret: github.clientSecret, ...githubBases({ GHE_HOST: new URL(github.base).host, GHE_PROTOCOL: "http" }) },
    });
  });
  afterAll(async () => {
    await dashboard.close();
    await github.close();
    db.close();
  });

  /** Starts a sign-in: the state cookie and the authorize URL the dashboard sends the browser to. */
  async function start(): Promise<{ cookie: string; state: string }> {
    const res = await fetch(`${dashboard.base}/dashboard/login/github`, { redirect: "manual" });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location") ?? "");
    expect(location.origin).toBe(github.base);
    expect(location.searchParams.get("redirect_uri")).toBe(`${dashboard.base}/dashboard/oauth/callback`);
    return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", state: location.searchParams.get("state") ?? "" };
  }

  it("refuses a callback whose state is not the one this browser started with", async () => {
    const { cookie } = await start();
    const other = await start();
    const res = await fetch(`${dashboard.base}/dashboard/oauth/callback?code=abc&state=${other.state}`, { headers: { cookie }, redirect: "manual" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("The sign-in could not be verified");
    expect(res.headers.get("set-cookie")).toBeNull();
    const noCookie = await fetch(`${dashboard.base}/dashboard/oauth/callback?code=abc&state=${other.state}`, { redirect: "manual" });
    expect(noCookie.status).toBe(400);
  });

  it("says why when GitHub refuses the code, and signs nobody in", async () => {
    const { cookie, state } = await start();
    const res = await fetch(`${dashboard.base}/dashboard/oauth/callback?code=not-issued&state=${state}`, { headers: { cookie }, redirect: "manual" });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("GitHub refused the sign-in: The code passed is incorrect or expired.");
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});

describe("the session of a user with many installations", () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ id: 10_000_000 + i, account: `an-organisation-with-a-long-name-${i}` }));
  const secret = "many-installations-session-secret-0123456789";

  it("keeps the account names while they fit, then only the ids, and refuses what a cookie cannot hold", () => {
    const few = sessionCookieValue("alice", many(5), secret, 0);
    expect(decodeSession(few, secret, 1)?.installations).toEqual(many(5));
    const lots = sessionCookieValue("alice", many(150), secret, 0);
    expect(lots?.length).toBeLessThanOrEqual(MAX_SESSION_COOKIE);
    const ids = decodeSession(lots, secret, 1)?.installations;
    expect(ids !== "all" && ids?.map((i) => i.id)).toEqual(many(150).map((i) => i.id));
    expect(ids !== "all" && ids?.every((i) => i.account === "")).toBe(true);
    expect(sessionCookieValue("alice", many(600), secret, 0)).toBeUndefined();
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordAttempt, updateAttempt, updateGeneration, upsertGenerationForIssue } from "../../src/store/generations.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { dashboardRoutes } from "../../src/web/dashboard/router.js";

const WEEK = 7 * 24 * 3_600_000;
const NOW = Date.parse("2026-11-25T12:00:00Z");
const TOKEN = "dashboard-token-0123456789";
const SECRET = "s".repeat(40);
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

function spec(name: string, category: string): ComponentSpec {
  return {
    name, description: `${name} does its job.`, category, component_type: "operator", base_class: "BaseOperator", airflow_version: "both",
    platforms: [], params: [], runtime_params: [], outputs: [], requirements: [], dependencies: [], template_fields: [], template_ext: [],
    sensor: {}, hook: {}, implementation_hints: [], prerequisites: null, examples: [], extra: {},
  };
}

/** A generation created `weeksAgo` whose first attempt passed CI or failed then passed on the second. */
async function generation(db: Database, issue: number, weeksAgo: number, firstPassed: boolean, installationId = 1, repo = "acme/pipelines"): Promise<void> {
  const kysely = kyselyOverStore(db);
  const at = NOW - weeksAgo * WEEK;
  const { generation: g } = await upsertGenerationForIssue(
    kysely,
    { repo, installationId, issueNumber: issue, specFingerprint: `fp${issue}`, spec: spec(`Op${issue}Operator`, "http"), provider: "anthropic", model: "claude-sonnet-5-5" },
    at,
  );
  const first = await recordAttempt(kysely, { generationId: g.id, trigger: "initial", strategy: "fresh", costUsd: 0.05, usage: { inputTokens: 1000, outputTokens: 500 } }, at);
  await updateAttempt(kysely, first.id, { commitSha: `a${issue}`, outcome: firstPassed ? "ci_passed" : "ci_failed" }, at);
  if (!firstPassed) {
    const second = await recordAttempt(kysely, { generationId: g.id, trigger: "ci_retry", strategy: "patch", costUsd: 0.04 }, at + 1000);
    await updateAttempt(kysely, second.id, { commitSha: `b${issue}`, outcome: "ci_passed" }, at + 1000);
  }
  await updateGeneration(kysely, g.id, { status: "merged", finalOutcome: "merged", firstAttemptSuccess: firstPassed }, at + 2000);
}

function serve(route: ReturnType<typeof dashboardRoutes>): Server {
  return createServer((req, res) => {
    if (!route(req, res)) res.writeHead(404).end();
  });
}

let db: Database;
let server: Server;
let base: string;
beforeEach(async () => {
  db = openDatabase(":memory:");
  // Two weeks ago one of two first attempts passed; last week both did.
  await generation(db, 1, 2, false);
  await generation(db, 2, 2, true);
  await generation(db, 3, 1, true);
  await generation(db, 4, 1, true);
  server = serve(dashboardRoutes(kyselyOverStore(db), () => NOW, { dashboardToken: TOKEN, sessionSecret: SECRET }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  db.close();
});

/** Signs in with the dashboard token through the login form and returns the session cookie. */
async function signIn(): Promise<string> {
  const res = await fetch(`${base}/dashboard/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ token: TOKEN }).toString(),
  });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get("set-cookie") ?? "";
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Lax/);
  expect(setCookie).not.toMatch(/Secure/); // plain http here
  return setCookie.split(";")[0] ?? "";
}

describe("the learning curve on the dashboard", () => {
  it("shows the first-attempt success curve, attempts and cost of the installation", async () => {
    const cookie = await signIn();
    const res = await fetch(`${base}/dashboard/installations/1?weeks=4`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("Learning curve (last 4 weeks)");
    expect(html).toMatch(/<td>2026-W46<\/td><td>http<\/td><td>2<\/td><td>2<\/td><td>1<\/td><td>50%<\/td>/);
    expect(html).toMatch(/<td>2026-W47<\/td><td>http<\/td><td>2<\/td><td>2<\/td><td>2<\/td><td>100%<\/td>/);
    expect(html).toContain("<polyline");
    expect(html).toMatch(/<td>1<\/td><td>3<\/td><td>75%<\/td>/); // three generations needed one attempt
    expect(html).toContain("<div>100%<span>first-attempt success, latest week</span></div>");
    // The weekly funnel: two specs, two merged in each of the last two weeks.
    expect(html).toMatch(/<td>2026-W47<\/td><td>2<\/td><td>0<\/td><td>2<\/td><td>2<\/td><td>100%<\/td>/);
  });

  it("serves the same figures under /api/, and refuses a bad window", async () => {
    const json = (await (await fetch(`${base}/api/stats?weeks=4`, auth)).json()) as {
      weeks: number;
      installations: { installationId: number; attempts: { attempts: number; generations: number }[] }[];
    };
    expect(json.weeks).toBe(4);
    expect(json.installations.map((i) => i.installationId)).toEqual([1]);
    expect(json.installations[0]?.attempts).toEqual(expect.arrayContaining([expect.objectContaining({ attempts: 2, generations: 1 })]));
    const overview = (await (await fetch(`${base}/api/installations/1?weeks=4`, auth)).json()) as { weeks: { week: string; specs: number; merged: number }[] };
    expect(overview.weeks.map((w) => [w.week, w.specs, w.merged])).toEqual([["2026-W45", 0, 0], ["2026-W46", 2, 2], ["2026-W47", 2, 2], ["2026-W48", 0, 0]]);
    const bad = await fetch(`${base}/api/stats?weeks=zero`, auth);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('weeks must be a whole number from 1 to 520, got \\"zero\\"');
    expect((await fetch(`${base}/api/installations/1`)).status).toBe(401);
    expect((await fetch(`${base}/api/installations/1`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  });
});

describe("figures per installation", () => {
  it("reports each installation apart, and one alone under /api/installations/ID/stats", async () => {
    // Installation 2 (another owner): one generation last week whose first attempt failed.
    await generation(db, 1, 1, false, 2, "other-org/warehouse");
    const json = (await (await fetch(`${base}/api/stats?weeks=4`, auth)).json()) as {
      installations: { installationId: number; attempts: { attempts: number; generations: number }[]; cost: { generations: number }[] }[];
    };
    const [one, two] = json.installations;
    expect(json.installations.map((i) => i.installationId)).toEqual([1, 2]);
    expect(one?.attempts).toEqual([expect.objectContaining({ attempts: 1, generations: 3 }), expect.objectContaining({ attempts: 2, generations: 1 })]);
    expect(one?.cost[0]).toMatchObject({ generations: 4 });
    expect(two?.attempts).toEqual([expect.objectContaining({ attempts: 2, generations: 1 })]);
    expect(two?.cost[0]).toMatchObject({ generations: 1 });

    const alone = (await (await fetch(`${base}/api/installations/2/stats?weeks=4`, auth)).json()) as { installationId: number; firstAttemptByWeek: { week: string; generations: number; rate: number }[] };
    expect(alone.installationId).toBe(2);
    expect(alone.firstAttemptByWeek).toEqual([expect.objectContaining({ week: "2026-W47", generations: 1, rate: 0 })]);

    const cookie = await signIn();
    const list = await (await fetch(`${base}/dashboard`, { headers: { cookie } })).text();
    expect(list).toContain('<a href="/dashboard/installations/1">acme</a>');
    expect(list).toContain('<a href="/dashboard/installations/2">other-org</a>');
    const page = await (await fetch(`${base}/dashboard/installations/2?weeks=4`, { headers: { cookie } })).text();
    expect(page).toMatch(/<td>2026-W47<\/td><td>http<\/td><td>1<\/td><td>1<\/td><td>0<\/td><td>0%<\/td>/);
    expect(page).not.toContain("<td>2026-W46</td><td>http</td>");
  });
});

describe("access to the dashboard", () => {
  it("sends a visitor without a session to the login page, and refuses a wrong token", async () => {
    const res = await fetch(`${base}/dashboard/installations/1`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/login");
    const wrong = await fetch(`${base}/dashboard/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: new URLSearchParams({ token: "not-it" }).toString(),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("That token is not the dashboard token.");
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a form posted from another origin, and one without the session's CSRF token", async () => {
    const crossSite = await fetch(`${base}/dashboard/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get("set-cookie")).toBeNull();
    const cookie = await signIn();
    const noCsrf = await fetch(`${base}/dashboard/logout`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base, cookie },
      body: new URLSearchParams({ csrf: "guessed" }).toString(),
    });
    expect(noCsrf.status).toBe(403);
    // The session still works: the forged logout did nothing.
    expect((await fetch(`${base}/dashboard`, { headers: { cookie } })).status).toBe(200);
  });

  it("marks the cookie Secure behind an https proxy, where the https origin is the one forms must come from", async () => {
    const httpsOrigin = base.replace(/^http:/, "https:");
    const login = (origin: string) =>
      fetch(`${base}/dashboard/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin, "x-forwarded-proto": "https" },
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
    expect((await login(base)).status).toBe(403);
    const res = await login(httpsOrigin);
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
  });

  it("refuses a session cookie that was altered", async () => {
    const cookie = await signIn();
    const [name, value = ""] = cookie.split("=");
    const [payload = "", signature] = value.split(".");
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), user: "admin" })).toString("base64url");
    const res = await fetch(`${base}/dashboard`, { headers: { cookie: `${name}=${widened}.${signature}` }, redirect: "manual" });
    expect(res.status).toBe(303);
  });

  it("says how to enable sign-in when none is configured", async () => {
    const other = serve(dashboardRoutes(kyselyOverStore(db), () => NOW, {}));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${otherBase}/dashboard`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain("The dashboard is not enabled");
      expect(html).toContain("OPFORGE_SESSION_SECRET");
      expect(html).toContain("GITHUB_CLIENT_ID");
      expect(html).toContain("OPFORGE_DASHBOARD_TOKEN");
      expect((await fetch(`${otherBase}/api/stats`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordAttempt, updateAttempt, updateGeneration, upsertGenerationForIssue } from "../../src/store/generations.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { webRoutes } from "../../src/web/routes.js";

const WEEK = 7 * 24 * 3_600_000;
const NOW = Date.parse("2026-11-25T12:00:00Z");
const TOKEN = "metrics-token-0123456789";
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

function spec(name: string, category: string): ComponentSpec {
  return {
    name, description: `${name} does its job.`, category, component_type: "operator", base_class: "BaseOperator", airflow_version: "both",
    platforms: [], params: [], runtime_params: [], outputs: [], requirements: [], dependencies: [], template_fields: [], template_ext: [],
    sensor: {}, hook: {}, implementation_hints: [], prerequisites: null, examples: [], extra: {},
  };
}

/** A generation created `weeksAgo` whose first attempt passed CI or failed then passed on the second. */
function generation(db: Database, issue: number, weeksAgo: number, firstPassed: boolean, installationId = 1, repo = "acme/pipelines"): void {
  const at = NOW - weeksAgo * WEEK;
  const { generation: g } = upsertGenerationForIssue(
    db,
    { repo, installationId, issueNumber: issue, specFingerprint: `fp${issue}`, spec: spec(`Op${issue}Operator`, "http"), provider: "anthropic", model: "claude-sonnet-5-5" },
    at,
  );
  const first = recordAttempt(db, { generationId: g.id, trigger: "initial", strategy: "fresh", costUsd: 0.05, usage: { inputTokens: 1000, outputTokens: 500 } }, at);
  updateAttempt(db, first.id, { commitSha: `a${issue}`, outcome: firstPassed ? "ci_passed" : "ci_failed" }, at);
  if (!firstPassed) {
    const second = recordAttempt(db, { generationId: g.id, trigger: "ci_retry", strategy: "patch", costUsd: 0.04 }, at + 1000);
    updateAttempt(db, second.id, { commitSha: `b${issue}`, outcome: "ci_passed" }, at + 1000);
  }
  updateGeneration(db, g.id, { status: "merged", finalOutcome: "merged", firstAttemptSuccess: firstPassed }, at + 2000);
}

function serve(route: ReturnType<typeof webRoutes>): Server {
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
  generation(db, 1, 2, false);
  generation(db, 2, 2, true);
  generation(db, 3, 1, true);
  generation(db, 4, 1, true);
  server = serve(webRoutes(db, () => NOW, { metricsToken: TOKEN }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  db.close();
});

describe("the metrics page", () => {
  it("shows the first-attempt success curve, attempts and cost", async () => {
    const res = await fetch(`${base}/metrics?weeks=4`, auth);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("learning curve (last 4 weeks)");
    expect(html).toMatch(/<td>2026-W46<\/td><td>http<\/td><td>2<\/td><td>2<\/td><td>1<\/td><td>50%<\/td>/);
    expect(html).toMatch(/<td>2026-W47<\/td><td>http<\/td><td>2<\/td><td>2<\/td><td>2<\/td><td>100%<\/td>/);
    expect(html).toContain("<polyline");
    expect(html).toMatch(/<td>1<\/td><td>3<\/td><td>75%<\/td>/); // three generations needed one attempt
    expect(html).toContain("<div>100%<span>first-attempt success, latest week</span></div>");
  });

  it("serves the same figures as JSON, and refuses a bad window", async () => {
    const json = (await (await fetch(`${base}/metrics.json?weeks=4`, auth)).json()) as {
      weeks: number;
      installations: { installationId: number; attempts: { attempts: number; generations: number }[] }[];
    };
    expect(json.weeks).toBe(4);
    expect(json.installations.map((i) => i.installationId)).toEqual([1]);
    expect(json.installations[0]?.attempts).toEqual(expect.arrayContaining([expect.objectContaining({ attempts: 2, generations: 1 })]));
    const bad = await fetch(`${base}/metrics?weeks=zero`, auth);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('weeks must be a whole number from 1 to 520, got "zero"');
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });
});

describe("metrics per installation", () => {
  it("reports each installation apart, on the page and as JSON, and one alone with ?installation=ID", async () => {
    // Installation 2 (another owner): one generation last week whose first attempt failed.
    generation(db, 1, 1, false, 2, "other-org/warehouse");
    const json = (await (await fetch(`${base}/metrics.json?weeks=4`, auth)).json()) as {
      installations: { installationId: number; attempts: { attempts: number; generations: number }[]; cost: { generations: number }[] }[];
    };
    const [one, two] = json.installations;
    expect(json.installations.map((i) => i.installationId)).toEqual([1, 2]);
    expect(one?.attempts).toEqual([expect.objectContaining({ attempts: 1, generations: 3 }), expect.objectContaining({ attempts: 2, generations: 1 })]);
    expect(one?.cost[0]).toMatchObject({ generations: 4 });
    expect(two?.attempts).toEqual([expect.objectContaining({ attempts: 2, generations: 1 })]);
    expect(two?.cost[0]).toMatchObject({ generations: 1 });

    const alone = (await (await fetch(`${base}/metrics.json?weeks=4&installation=2`, auth)).json()) as { installationId: number; firstAttemptByWeek: { week: string; generations: number; rate: number }[] };
    expect(alone.installationId).toBe(2);
    expect(alone.firstAttemptByWeek).toEqual([expect.objectContaining({ week: "2026-W47", generations: 1, rate: 0 })]);

    const html = await (await fetch(`${base}/metrics?weeks=4`, auth)).text();
    const sectionOf = (id: number): string => html.slice(html.indexOf(`<section id="installation-${id}">`), html.indexOf("</section>", html.indexOf(`<section id="installation-${id}">`)));
    expect(sectionOf(1)).toContain("<h2>installation 1</h2>");
    expect(sectionOf(1)).toMatch(/<td>2026-W47<\/td><td>http<\/td><td>2<\/td><td>2<\/td><td>2<\/td><td>100%<\/td>/);
    expect(sectionOf(2)).toContain("<h2>installation 2</h2>");
    expect(sectionOf(2)).toMatch(/<td>2026-W47<\/td><td>http<\/td><td>1<\/td><td>1<\/td><td>0<\/td><td>0%<\/td>/);
    expect(sectionOf(2)).not.toContain("<td>2026-W46</td>");

    const bad = await fetch(`${base}/metrics.json?installation=acme`, auth);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('installation must be an installation id (a whole number), got "acme"');
  });
});

describe("access to the metrics", () => {
  it("answers 401 with WWW-Authenticate: Bearer without the token or with a wrong one, from loopback too", async () => {
    for (const path of ["/metrics", "/metrics.json"]) {
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: "Bearer wrong-token" },
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}` },
        { authorization: TOKEN },
      ]) {
        const res = await fetch(`${base}${path}`, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
        const body = await res.text();
        expect(body).not.toContain("learning curve");
        expect(body).not.toContain("attempts");
      }
    }
    expect((await fetch(`${base}/metrics.json`, auth)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200); // the health check stays open
  });

  it("is off (404) when no token is configured", async () => {
    for (const options of [{}, { metricsToken: "" }, { metricsToken: "   " }]) {
      const other = serve(webRoutes(db, () => NOW, options));
      await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
      const otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      try {
        for (const path of ["/metrics", "/metrics.json"]) {
          expect((await fetch(`${otherBase}${path}`)).status).toBe(404);
          expect((await fetch(`${otherBase}${path}`, { headers: { authorization: "Bearer " } })).status).toBe(404);
        }
        expect((await fetch(`${otherBase}/healthz`)).status).toBe(200);
      } finally {
        await new Promise((resolve) => other.close(resolve));
      }
    }
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Tables } from "../../src/db/schema.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { enqueue } from "../../src/jobs/queue.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { recordCiResult } from "../../src/store/ci-results.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordAttempt, updateAttempt, upsertGenerationForIssue } from "../../src/store/generations.js";
import { createOpsMetrics, type OpsMetrics } from "../../src/web/prometheus.js";
import { webRoutes } from "../../src/web/routes.js";
import { fillHistory } from "../learn/metrics/fill.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { parsePrometheusText, type Family } from "../support/prom-text.js";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const TOKEN = "metrics-token-0123456789";

function spec(name: string): ComponentSpec {
  return {
    name, description: `${name} does its job.`, category: "http", component_type: "operator", base_class: "BaseOperator", airflow_version: "both",
    platforms: [], params: [], runtime_params: [], outputs: [], requirements: [], dependencies: [], template_fields: [], template_ext: [],
    sensor: {}, hook: {}, implementation_hints: [], prerequisites: null, examples: [], extra: {},
  };
}

async function seed(db: Database): Promise<void> {
  const kysely = kyselyOverStore(db);
  const { generation } = await upsertGenerationForIssue(
    kysely,
    { repo: "acme-secret/pipelines", installationId: 7, issueNumber: 1, specFingerprint: "fp1", spec: spec("SecretThingOperator"), provider: "anthropic", model: "claude-sonnet-5-5" },
    NOW - 60_000,
  );
  const first = await recordAttempt(kysely, { generationId: generation.id, trigger: "initial", strategy: "fresh", costUsd: 0.25, usage: { inputTokens: 1000, outputTokens: 400, cacheReadTokens: 300 } }, NOW - 50_000);
  await updateAttempt(kysely, first.id, { commitSha: "a1", outcome: "ci_failed" }, NOW - 40_000);
  await recordAttempt(kysely, { generationId: generation.id, trigger: "ci_retry", strategy: "patch", costUsd: 0.5, usage: { inputTokens: 2000, outputTokens: 100 } }, NOW - 30_000);
  await recordCiResult(kysely, { generationId: generation.id, headSha: "a1", fingerprintsHash: "h1", conclusion: "failure", failures: [] }, NOW - 40_000);
  await recordCiResult(kysely, { generationId: generation.id, headSha: "a2", fingerprintsHash: "h2", conclusion: "success", failures: [] }, NOW - 20_000);
  const payload = { installationId: 7, owner: "acme-secret", repo: "pipelines", issueNumber: 1 };
  const queue = kyselyOverStore(db);
  await enqueue(queue, { type: "generate", payload }, NOW - 120_000);
  await enqueue(queue, { type: "ci-result", payload: { ...payload, headSha: "a2" } }, NOW - 10_000);
  const dead = await enqueue(queue, { type: "feedback", payload: { ...payload, prNumber: 3, merged: true, mergeSha: null } }, NOW - 5_000);
  db.prepare("UPDATE jobs SET status = 'dead', last_error = 'boom' WHERE id = ?").run(dead.job.id);
}

function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}

let db: Database;
let metrics: OpsMetrics;
let servers: Server[] = [];

async function serve(options: { metricsToken?: string }, over: Kysely<Tables> = kyselyOverStore(db), served: OpsMetrics = metrics): Promise<string> {
  const route = webRoutes(over, served, options);
  const server = createServer((req, res) => {
    if (!route(req, res)) res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeEach(async () => {
  db = openDatabase(":memory:");
  await seed(db);
  metrics = createOpsMetrics(kyselyOverStore(db), () => NOW);
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
  db.close();
});

describe("/metrics in Prometheus' text format", () => {
  it("is open without a token and exposes jobs, queue depth, model calls, tokens, cost, CI verdicts and webhooks", async () => {
    metrics.webhookReceived("issues");
    metrics.webhookReceived("issues");
    metrics.webhookReceived("check_suite");
    const base = await serve({});
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const families = parsePrometheusText(text);

    expect(families.get("opforge_webhooks_received_total")?.type).toBe("counter");
    expect(sample(families, "opforge_webhooks_received_total", { event: "issues" })).toBe(2);
    expect(sample(families, "opforge_webhooks_received_total", { event: "check_suite" })).toBe(1);

    expect(families.get("opforge_jobs")?.type).toBe("gauge");
    expect(sample(families, "opforge_jobs", { type: "generate", state: "queued" })).toBe(1);
    expect(sample(families, "opforge_jobs", { type: "feedback", state: "dead" })).toBe(1);
    expect(sample(families, "opforge_jobs", { type: "feedback", state: "queued" })).toBe(0);
    expect(sample(families, "opforge_queue_depth")).toBe(2);
    expect(sample(families, "opforge_queue_oldest_job_age_seconds")).toBe(120);

    const model = { provider: "anthropic", model: "claude-sonnet-5-5" };
    expect(sample(families, "opforge_model_calls", model)).toBe(2);
    expect(sample(families, "opforge_model_tokens", { ...model, kind: "input" })).toBe(3000);
    expect(sample(families, "opforge_model_tokens", { ...model, kind: "output" })).toBe(500);
    expect(sample(families, "opforge_model_tokens", { ...model, kind: "cache_read" })).toBe(300);
    expect(sample(families, "opforge_model_cost_usd", model)).toBeCloseTo(0.75, 10);
    expect(sample(families, "opforge_ci_verdicts", { conclusion: "failure", attributed_to_base: "false" })).toBe(1);
    expect(sample(families, "opforge_ci_verdicts", { conclusion: "success", attributed_to_base: "false" })).toBe(1);
    expect(families.get("opforge_process_cpu_seconds_total")?.type).toBe("counter");

    // The next scrape reads the database again.
    const generationId = (db.prepare("SELECT id FROM generations").get() as { id: number }).id;
    await recordAttempt(kyselyOverStore(db), { generationId, trigger: "manual_retry", strategy: "fresh", costUsd: 0.25, usage: { inputTokens: 10, outputTokens: 5 } }, NOW);
    const again = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    expect(sample(again, "opforge_model_calls", model)).toBe(3);
    expect(sample(again, "opforge_model_cost_usd", model)).toBeCloseTo(1, 10);

    // Operational figures only: no repository, account, component or error text.
    for (const secret of ["acme-secret", "pipelines", "SecretThing", "boom"]) expect(text).not.toContain(secret);
  });

  it("keeps the figures of the database across a restart, while the webhook counter starts again", async () => {
    metrics.webhookReceived("issues");
    const restarted = createOpsMetrics(kyselyOverStore(db), () => NOW + 1000, { processMetrics: false });
    const families = parsePrometheusText((await restarted.render()).body);
    expect(sample(families, "opforge_model_calls", { provider: "anthropic", model: "claude-sonnet-5-5" })).toBe(2);
    expect(sample(families, "opforge_webhooks_received_total", { event: "issues" })).toBeUndefined();
    expect(sample(families, "opforge_queue_oldest_job_age_seconds")).toBe(121);
  });

  it("folds an unexpected event name into one label value", async () => {
    metrics.webhookReceived('x"} 1\nfake_metric 9');
    const families = parsePrometheusText((await metrics.render()).body);
    expect(sample(families, "opforge_webhooks_received_total", { event: "other" })).toBe(1);
    expect(families.has("fake_metric")).toBe(false);
  });

  it("answers 401 without the bearer token when OPFORGE_METRICS_TOKEN is set", async () => {
    const base = await serve({ metricsToken: TOKEN });
    for (const headers of <Record<string, string>[]>[{}, { authorization: "Bearer wrong" }, { authorization: TOKEN }]) {
      const res = await fetch(`${base}/metrics`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      expect(await res.text()).not.toContain("opforge_jobs");
    }
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(parsePrometheusText(await ok.text()).has("opforge_queue_depth")).toBe(true);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describeBackends("/metrics and /healthz over the database", (kind) => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await openBackend(kind);
    const k = backend.kysely;
    await fillHistory(k);
    const job = (type: string, status: Tables["jobs"]["status"], createdAt: number) =>
      k
        .insertInto("jobs")
        .values({ type, payload_json: '{"installationId":42}', dedupe_key: null, status, max_attempts: 3, run_after: 0, lease_owner: null, lease_expires_at: null, last_error: null, created_at: createdAt, updated_at: createdAt })
        .execute();
    await job("generate", "queued", NOW - 120_000);
    await job("ci-result", "running", NOW - 60_000);
    await job("feedback", "dead", NOW - 600_000);
    const generationId = (await k.selectFrom("generations").select("id").orderBy("id").executeTakeFirstOrThrow()).id;
    for (const [conclusion, base] of [["failure", 1], ["success", 0]] as const) {
      await k.insertInto("ci_results").values({ generation_id: generationId, head_sha: conclusion, fingerprints_hash: "h", conclusion, attributed_to_base: base, created_at: NOW }).execute();
    }
  });
  afterAll(async () => backend.close());

  it("reads the same gauges on every backend", async () => {
    const families = parsePrometheusText((await createOpsMetrics(backend.kysely, () => NOW, { processMetrics: false }).render()).body);
    expect(sample(families, "opforge_jobs", { type: "generate", state: "queued" })).toBe(1);
    expect(sample(families, "opforge_jobs", { type: "generate", state: "dead" })).toBe(0);
    expect(sample(families, "opforge_jobs", { type: "feedback", state: "dead" })).toBe(1);
    expect(sample(families, "opforge_queue_depth")).toBe(2);
    expect(sample(families, "opforge_queue_oldest_job_age_seconds")).toBe(120);
    const sonnet = { provider: "anthropic", model: "claude-sonnet-4-5" };
    expect(sample(families, "opforge_model_calls", sonnet)).toBe(7);
    expect(sample(families, "opforge_model_tokens", { ...sonnet, kind: "input" })).toBe(11_500);
    expect(sample(families, "opforge_model_tokens", { ...sonnet, kind: "output" })).toBe(7400);
    expect(sample(families, "opforge_model_tokens", { ...sonnet, kind: "cache_write" })).toBe(0);
    expect(sample(families, "opforge_model_cost_usd", sonnet)).toBeCloseTo(1.5, 9);
    expect(sample(families, "opforge_model_calls", { provider: "openai-compatible", model: "qwen3-coder" })).toBe(1);
    expect(sample(families, "opforge_ci_verdicts", { conclusion: "failure", attributed_to_base: "true" })).toBe(1);
    expect(sample(families, "opforge_ci_verdicts", { conclusion: "success", attributed_to_base: "false" })).toBe(1);
  });

  it("counts the jobs per state in /healthz", async () => {
    const base = await serve({}, backend.kysely, createOpsMetrics(backend.kysely, () => NOW, { processMetrics: false }));
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", jobs: { queued: 1, running: 1, succeeded: 0, failed: 0, dead: 1 } });
  });
});

describe("/healthz without a database", () => {
  it("answers 503 when the database cannot be read", async () => {
    const closed = openDatabase(":memory:");
    const over = kyselyOverStore(closed);
    closed.close();
    const base = await serve({}, over, createOpsMetrics(over, () => NOW, { processMetrics: false }));
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "database unavailable" });
  });
});

describe("the exposition parser of these tests", () => {
  it("refuses what Prometheus would refuse", () => {
    const ok = "# HELP a_total help\n# TYPE a_total counter\na_total{x=\"1\"} 3\n";
    expect(parsePrometheusText(ok).get("a_total")?.samples).toEqual([{ name: "a_total", labels: { x: "1" }, value: 3 }]);
    expect(() => parsePrometheusText("a 1\n")).toThrow(/no # TYPE/);
    expect(() => parsePrometheusText("# TYPE a gauge\na{1x=\"1\"} 1\n")).toThrow(/invalid label name/);
    expect(() => parsePrometheusText("# TYPE a gauge\na{x=\"1\"} one\n")).toThrow(/not a number/);
    expect(() => parsePrometheusText("# TYPE a gauge\na 1\na 2\n")).toThrow(/duplicate series/);
    expect(() => parsePrometheusText("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"y\"} 2\n")).toThrow(/not together/);
    expect(() => parsePrometheusText("# TYPE a gauge\n# TYPE a counter\na 1\n")).toThrow(/second TYPE/);
    expect(() => parsePrometheusText("# TYPE h histogram\nh_bucket 1\n")).toThrow(/bucket without le/);
    expect(() => parsePrometheusText("# TYPE a gauge\na{x=\"\\q\"} 1\n")).toThrow(/invalid escape/);
    expect(() => parsePrometheusText("# TYPE a gauge\na 1")).toThrow(/newline/);
  });
});

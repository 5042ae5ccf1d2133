import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appPrivateKey, INSTALLATION_ID } from "../support/app-harness.js";
import { issueLabeled } from "../support/events.js";
import { FakeGitHub } from "../support/fake-github.js";
import { BROKEN_ISSUE } from "./specs.js";

const SECRET = "webhook-secret-for-tests";

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe("npm start (src/server.ts)", () => {
  it("serves /healthz, takes a signed webhook, runs its job, and on SIGINT stops the worker before exiting", async () => {
    const fake = new FakeGitHub();
    const repo = fake.addRepo("Codertocat", "Hello-World", { defaultBranch: "master", id: 1296269 });
    fake.addIssue(repo, { number: 7, body: BROKEN_ISSUE, labels: ["generate-operator"] });
    const api = new URL(await fake.listen());
    cleanup.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), "opforge-server-"));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));

    const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      env: {
        PATH: process.env.PATH,
        APP_ID: "1",
        PRIVATE_KEY: appPrivateKey(),
        WEBHOOK_SECRET: SECRET,
        HOST: "127.0.0.1",
        // A free port, chosen by the system and announced on the "Listening on" line.
        PORT: "0",
        GHE_HOST: api.host,
        GHE_PROTOCOL: "http",
        LOG_LEVEL: "info",
        LOG_FORMAT: "json",
        OPFORGE_DB: join(dir, "opforge.db"),
        OPFORGE_POLL_MS: "20",
        OPFORGE_BOT_LOGIN: "opforge[bot]",
        OPFORGE_METRICS_TOKEN: "server-metrics-token",
        OPFORGE_SESSION_SECRET: "server-test-session-secret-0123456789abcdef",
        OPFORGE_DASHBOARD_TOKEN: "server-dashboard-token",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    cleanup.push(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    await until("the server to say where it listens", async () => /Listening on http:\/\/127\.0\.0\.1:\d+/.test(output));
    const port = Number(/Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    expect(port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}`;

    await until("the server to answer /healthz", async () => {
      try {
        const res = await fetch(`${base}/healthz`);
        return res.status === 200;
      } catch {
        return false;
      }
    });
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: "ok", jobs: { queued: 0 } });
    // The metrics answer only to the configured bearer token, loopback or not.
    const anonymous = await fetch(`${base}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: "Bearer server-metrics-token" } })).status).toBe(200);
    // The dashboard asks for a sign-in, and its assets (uPlot included) are served by the app itself.
    const dashboard = await fetch(`${base}/dashboard`, { redirect: "manual" });
    expect([dashboard.status, dashboard.headers.get("location")]).toEqual([303, "/dashboard/login"]);
    expect(await (await fetch(`${base}/dashboard/login`)).text()).toContain("Dashboard token");
    const uplot = await fetch(`${base}/dashboard/assets/uPlot.iife.min.js`);
    expect([uplot.status, uplot.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
    expect(await uplot.text()).toContain("uPlot");

    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    const body = JSON.stringify(issueLabeled({ issueNumber: 7, body: BROKEN_ISSUE }));
    const unsigned = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d-0", "x-hub-signature-256": "sha256=00" },
      body,
    });
    expect(unsigned.status).toBe(400);
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const res = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d-1", "x-hub-signature-256": signature },
      body,
    });
    expect(res.status).toBe(200);
    const scraped = await (await fetch(`${base}/metrics`, { headers: { authorization: "Bearer server-metrics-token" } })).text();
    expect(scraped).toMatch(/^opforge_webhooks_received_total\{event="issues"\} 1$/m);
    // Issue 10, items 2 and 3: opforge's endpoint answers before Probot's — a signed `null` is a short 400,
    // a body declared above 25 MB is refused unread.
    const signedNull = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d-2", "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update("null").digest("hex")}` },
      body: "null",
    });
    expect([signedNull.status, await signedNull.text()]).toEqual([400, '{"error":"the payload is not a JSON object"}\n']);
    const oversized = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/github/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(30 * 1024 * 1024), "x-github-event": "issues", "x-github-delivery": "d-3", "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write("{");
    });
    expect(oversized).toBe(413);

    await until("the spec findings and label", () => repo.issues.get(7)?.labels.includes("opforge:spec-invalid") === true);
    // The installation the webhook came from is listed to the dashboard token.
    const listed = (await (await fetch(`${base}/api/installations`, { headers: { authorization: "Bearer server-dashboard-token" } })).json()) as { installations: { id: number }[] };
    expect(listed.installations.map((i) => i.id)).toEqual([INSTALLATION_ID]);
    expect([...repo.comments.values()].map((c) => c.body.split("\n")[0])).toEqual(["<!-- opforge:spec-findings -->"]);
    expect(fake.unexpected).toEqual([]);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output).toContain("SIGINT: stopping the worker and the server");
    expect(output).toContain("job worker stopped");
  }, 60_000);
});

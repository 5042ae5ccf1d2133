import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import { listJobs } from "../../src/jobs/queue.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { issueLabeled } from "../support/events.js";
import { ANTHROPIC } from "../support/model.js";
import { commentsOn, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

// Issue 10, item 1: a provider error that echoes the API key must not reach a comment, the database or the CLI.
const KEY = "sk-ant-api03-Zq8vJ2mK5xT1pR7wL4nB9cH6dF3gY0sA";
const ECHOING_401 = { type: "error", error: { type: "authentication_error", message: `invalid api key: Bearer ${KEY}` } };

let app: AppHarness | undefined;
useNockChecks(() => app);
afterEach(() => {
  app = undefined;
});

describe("a model endpoint that answers 401 quoting the API key (issue 10, item 1)", () => {
  it("the status comment, attempts.failure_reason, jobs.last_error and the log carry no key", async () => {
    const lines: string[] = [];
    const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
    const a = (app = await startApp({ providerFor: () => anthropicProvider({ apiKey: KEY, maxRetries: 0 }), log }));
    nock(ANTHROPIC).post("/v1/messages").times(2).reply(401, ECHOING_401);
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain({ allowDead: true });
    nock.cleanAll();

    const status = commentsOn(a, 7);
    expect(status.length).toBeGreaterThan(0);
    const bodies = status.map((c) => c.body).join("\n");
    expect(bodies).toContain("generation failed");
    expect(bodies).toContain("invalid api key: Bearer [redacted]");
    expect(bodies).not.toContain("Zq8vJ2mK5xT1pR7wL4nB9cH6dF3gY0sA");
    const reasons = a.db.prepare("SELECT failure_reason FROM attempts").all() as { failure_reason: string | null }[];
    expect(reasons.length).toBeGreaterThan(0);
    for (const { failure_reason } of reasons) expect(failure_reason ?? "").not.toContain("Zq8vJ2mK5xT1pR7wL4nB9cH6dF3gY0sA");
    for (const job of await listJobs(a.kysely)) expect(job.lastError ?? "").not.toContain("Zq8vJ2mK5xT1pR7wL4nB9cH6dF3gY0sA");
    expect(lines.join("")).toContain("invalid api key: Bearer [redacted]");
    expect(lines.join("")).not.toContain("Zq8vJ2mK5xT1pR7wL4nB9cH6dF3gY0sA");
  });

  it("opforge generate prints the provider's error without the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opforge-secret-"));
    try {
      writeFileSync(
        join(dir, "spec.yaml"),
        "name: WeatherFetchOperator\ndescription: Fetches the weather for a city from a REST API.\ncomponent_type: operator\n",
      );
      nock(ANTHROPIC).post("/v1/messages").reply(401, ECHOING_401);
      let out = "";
      const io: CliIo = {
        stdout: (t) => void (out += t),
        stderr: (t) => void (out += t),
        cwd: dir,
        env: { ANTHROPIC_API_KEY: KEY, OPFORGE_MODEL_MAX_RETRIES: "0" },
      };
      expect(await main(["generate", "spec.yaml", "--max-attempts", "1", "--no-record"], io)).toBe(1);
      expect(out).toContain("invalid api key: Bearer [redacted]");
      expect(out).not.toContain("Zq8vJ2mK5xT1pR7wL4nB9cH6dF3gY0sA");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

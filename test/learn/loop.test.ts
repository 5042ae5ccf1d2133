/**
 * The learning loop end to end: scripted model replies (the Messages API replayed with nock) and scripted
 * CI results go in; what the next generation's prompt holds and what its repair pass does come out.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { normalizeCheckRun } from "../../src/ci/normalize.js";
import { runAttempts } from "../../src/generate/attempts.js";
import { componentLayout, placeFiles } from "../../src/generate/layout.js";
import { anthropicProvider } from "../../src/generate/providers/anthropic.js";
import { getRule, recordRuleOutcome } from "../../src/learn/fixes/index.js";
import { Learning } from "../../src/learn/loop.js";
import { recordPatternOutcome, seededRandom } from "../../src/learn/patterns/index.js";
import { LocalCheck } from "../../src/pipeline/local-check.js";
import { parseSpecText } from "../../src/spec/index.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordAttempt, upsertGenerationForIssue } from "../../src/store/generations.js";
import { TEST_INSTALLATION, TEST_ORIGIN, TEST_SCOPE } from "../support/learning-scope.js";

const API = "https://api.anthropic.com";

function spec(yaml: string): ComponentSpec {
  const parsed = parseSpecText(yaml, { source: "yaml" });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

const ordersSpec = spec(`name: OrdersFetchOperator
description: Fetches the day's orders from the orders REST API over HTTP and returns the JSON body.
category: http
component_type: operator
airflow_version: "3"
inputs:
  - name: url
    type: str
    required: true
    template_field: true
dependencies: ["requests>=2.31"]
`);

const invoicesSpec = spec(`name: InvoicesFetchOperator
description: Fetches open invoices from the billing REST API over HTTP and returns the JSON body.
category: http
component_type: operator
airflow_version: "3"
inputs:
  - name: endpoint
    type: str
    required: true
    template_field: true
dependencies: ["requests>=2.31"]
`);

const checksumSpec = spec(`name: ChecksumWriterOperator
description: Computes SHA-256 checksums of local files in a directory and writes them to a manifest.
category: file
component_type: operator
airflow_version: "3"
inputs:
  - name: directory
    type: str
    required: true
`);

function component(className: string, attr: string, local: string): string {
  return `from __future__ import annotations

from typing import Any

import requests

try:
    from airflow.sdk import BaseOperator
except ImportError:
    from airflow.models.baseoperator import BaseOperator


class ${className}(BaseOperator):
    """Fetches JSON over HTTP.

    :param ${attr}: URL to fetch (templated)
    """

    template_fields = ("${attr}",)

    def __init__(self, *, ${attr}: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.${attr} = ${attr}

    def execute(self, context: Any) -> Any:
        ${local} = requests.get(self.${attr})
        ${local}.raise_for_status()
        self.log.info("fetched %s", self.${attr})
        return ${local}.json()
`;
}

function reply(className: string, module: string, attr: string, local: string): string {
  return [
    "Here are the files.",
    "",
    "```python file=component",
    component(className, attr, local),
    "```",
    "",
    "```python file=test",
    `from operators.${module} import ${className}\n\n\ndef test_template_fields() -> None:\n    assert ${className}.template_fields == ("${attr}",)\n`,
    "```",
    "",
    "```python file=dag",
    `import datetime\n\nfrom airflow import DAG\n\nfrom operators.${module} import ${className}\n\nwith DAG(dag_id="${module}_example", schedule=None, start_date=datetime.datetime(2025, 1, 1), catchup=False) as dag:\n    ${className}(task_id="fetch", ${attr}="https://example.com/api")\n`,
    "```",
  ].join("\n");
}

function message(text: string) {
  return {
    id: "msg_01Loop",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-5-5",
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 1500, output_tokens: 900, cache_creation_input_tokens: 0, cache_read_input_tokens: 1200 },
  };
}

let dir: string;
let db: Database;
let clock: number;
let learning: Learning;
const prompts: string[] = [];
const provider = anthropicProvider({ apiKey: "sk-ant-loop", baseURL: API, maxRetries: 0, timeoutMs: 5000 });

/** One generation through the real pipeline: learned context in, model call, local repair with learned rules. */
async function generateWith(s: ComponentSpec, replyText: string, issueNumber: number) {
  nock(API)
    .post("/v1/messages", (body: { messages: { content: string }[] }) => {
      prompts.push(body.messages.map((m) => m.content).join("\n"));
      return true;
    })
    .reply(200, message(replyText));
  const layout = componentLayout(s);
  const context = learning.contextFor(s, TEST_SCOPE);
  const check = new LocalCheck(context.rules, { componentModule: layout.componentModule });
  const outcome = await runAttempts(s, { learned: context.learned, componentModule: layout.componentModule }, provider, {
    maxAttempts: 1,
    check: check.check,
    now: () => clock,
  });
  expect(outcome.final, JSON.stringify(outcome.attempts.map((a) => (a.ok ? "ok" : a.reason)))).toBeDefined();
  const files = placeFiles(outcome.final?.files ?? [], layout);
  const { generation } = upsertGenerationForIssue(
    db,
    { repo: "acme/pipelines", installationId: 7, issueNumber, specFingerprint: `fp-${issueNumber}`, spec: s, provider: "anthropic", model: "claude-sonnet-5-5" },
    clock,
  );
  const applied = check.last.flatMap((c) => c.applied.map((a) => ({ path: c.path, ...a })));
  const attempt = recordAttempt(
    db,
    { generationId: generation.id, trigger: "initial", strategy: "fresh", files, appliedFixes: applied, learnedContext: outcome.final?.learnedUsed ?? [], outcome: "validated" },
    clock,
  );
  return { generation, attempt, files, applied, prompt: prompts.at(-1) ?? "" };
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-loop-"));
  db = openDatabase(join(dir, "opforge.db"));
  clock = Date.UTC(2026, 10, 2);
  learning = new Learning(db, { now: () => clock, random: seededRandom(42) });
  prompts.length = 0;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe("the learning loop", () => {
  it("(a) repairs a mistake a human fixed once, in a later generation of a different component, before any PR", async () => {
    const first = await generateWith(ordersSpec, reply("OrdersFetchOperator", "orders_fetch_operator", "url", "response"), 1);
    const generatedComponent = first.files.find((f) => f.role === "component");
    expect(generatedComponent?.content).toContain("response = requests.get(self.url)\n");

    // CI passes; a reviewer adds a timeout before merging.
    await learning.onCiVerdict({ origin: TEST_ORIGIN, generationId: first.generation.id, spec: ordersSpec, attempt: { number: 1, files: first.files, learnedContext: [], appliedFixes: [] }, passed: true, failures: [], final: false });
    const merged = new Map(
      first.files.map((f) => [f.path, f.role === "component" ? f.content.replace("requests.get(self.url)", "requests.get(self.url, timeout=30)") : f.content]),
    );
    clock += 3_600_000;
    const lesson = await learning.onMerged({
      installationId: TEST_INSTALLATION,
      generationId: first.generation.id,
      spec: ordersSpec,
      repo: "acme/pipelines",
      prNumber: 11,
      mergeSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      generatedFiles: first.files,
      mergedFiles: merged,
      attempts: [],
      signatureIds: [],
    });
    expect(lesson.comment).toContain("What you changed vs. what I generated");
    expect(lesson.comment).toContain("timeout=30");
    expect(lesson.ruleIds.length).toBeGreaterThan(0);

    // Below the threshold the rule is only guidance for the model…
    const before = learning.contextFor(invoicesSpec, TEST_SCOPE);
    expect(before.rules).toHaveLength(0);
    expect(before.learned.some((i) => i.kind === "fix" && i.body.includes("timeout=30"))).toBe(true);

    // …a maintainer's 👍 trusts it at once, and the repair pass applies it to another component.
    learning.onLessonsVerdict(TEST_INSTALLATION, lesson.ruleIds, "trust");
    clock += 3_600_000;
    const second = await generateWith(invoicesSpec, reply("InvoicesFetchOperator", "invoices_fetch_operator", "endpoint", "reply"), 2);
    const repaired = second.files.find((f) => f.role === "component")?.content ?? "";
    expect(repaired).toContain("reply = requests.get(self.endpoint, timeout=30)\n");
    expect(second.applied.map((a) => a.rule)).toContain(`learned/${lesson.ruleIds[0]}`);
  });

  it("(b) offers a pattern of merged code to a similar spec and not to an unrelated one", async () => {
    const first = await generateWith(ordersSpec, reply("OrdersFetchOperator", "orders_fetch_operator", "url", "response"), 1);
    expect(first.prompt).not.toContain("calls requests.get");
    await learning.onMerged({
      installationId: TEST_INSTALLATION,
      generationId: first.generation.id,
      spec: ordersSpec,
      repo: "acme/pipelines",
      prNumber: 11,
      mergeSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      generatedFiles: first.files,
      mergedFiles: new Map(first.files.map((f) => [f.path, f.content])),
      attempts: [],
      signatureIds: [],
    });

    const similar = learning.contextFor(invoicesSpec, TEST_SCOPE).learned.filter((i) => i.kind === "pattern");
    expect(similar.length).toBeGreaterThan(0);
    const execute = similar.find((p) => p.title.startsWith("execute_shape"));
    expect(execute?.title).toContain("calls requests.get");
    expect(execute?.body).toContain("<V1> = requests.get(self.<P1>)");
    expect(execute?.reason).toContain("used in 1 successful component");
    const similarRun = await generateWith(invoicesSpec, reply("InvoicesFetchOperator", "invoices_fetch_operator", "endpoint", "reply"), 2);
    expect(similarRun.prompt).toContain("execute() of an operator: calls requests.get");
    expect(similarRun.prompt).toContain("<V1> = requests.get(self.<P1>)");

    const unrelated = learning.contextFor(checksumSpec, TEST_SCOPE).learned.filter((i) => i.kind === "pattern");
    expect(unrelated.some((p) => `${p.title}\n${p.body}`.includes("requests"))).toBe(false);
    expect(unrelated.some((p) => p.title.startsWith("execute_shape"))).toBe(false);
  });

  it("(c) gives a library that failed to import in CI its alternative in the next prompt", async () => {
    const noteBefore = learning.contextFor(invoicesSpec, TEST_SCOPE).learned.find((i) => i.kind === "library" && i.title.startsWith("requests"));
    expect(noteBefore?.body).not.toContain("import failed");

    const first = await generateWith(ordersSpec, reply("OrdersFetchOperator", "orders_fetch_operator", "url", "response"), 1);
    const failures = normalizeCheckRun({
      checkRun: {
        name: "pytest",
        conclusion: "failure",
        output: {
          title: "1 error during collection",
          summary: "ImportError while importing test module",
          text: [
            "Traceback (most recent call last):",
            '  File "/home/runner/work/pipelines/pipelines/plugins/operators/orders_fetch_operator.py", line 5, in <module>',
            "    import requests",
            "ModuleNotFoundError: No module named 'requests'",
          ].join("\n"),
        },
      },
    });
    expect(failures.map((f) => f.exceptionType)).toContain("ModuleNotFoundError");
    await learning.onCiVerdict({ origin: TEST_ORIGIN, generationId: first.generation.id, spec: ordersSpec, attempt: { number: 1, files: first.files, learnedContext: [], appliedFixes: [] }, passed: false, failures, final: true });

    const second = await generateWith(invoicesSpec, reply("InvoicesFetchOperator", "invoices_fetch_operator", "endpoint", "reply"), 2);
    expect(second.prompt).toContain("import failed 1×");
    expect(second.prompt).toMatch(/Use instead HttpHook/);
  });

  it("archives a learned rule and a pattern that keep failing, so they stop reaching prompts", async () => {
    const first = await generateWith(ordersSpec, reply("OrdersFetchOperator", "orders_fetch_operator", "url", "response"), 1);
    const lesson = await learning.onMerged({
      installationId: TEST_INSTALLATION,
      generationId: first.generation.id,
      spec: ordersSpec,
      repo: "acme/pipelines",
      prNumber: 11,
      mergeSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      generatedFiles: first.files,
      mergedFiles: new Map(first.files.map((f) => [f.path, f.role === "component" ? f.content.replace("requests.get(self.url)", "requests.get(self.url, timeout=30)") : f.content])),
      attempts: [],
      signatureIds: [],
    });
    const ruleId = lesson.ruleIds[0] ?? 0;
    const patternIds = lesson.patternIds;
    expect(learning.contextFor(invoicesSpec, TEST_SCOPE).learned.some((i) => i.ref === `rule:${ruleId}`)).toBe(true);

    for (let i = 0; i < 12; i++) {
      recordRuleOutcome(db, TEST_SCOPE, ruleId, false, clock);
      recordPatternOutcome(db, TEST_SCOPE, patternIds, false, clock);
    }
    expect(learning.archiveWeak()).toEqual({ patterns: patternIds.length, rules: 1 });
    expect(getRule(db, TEST_SCOPE, ruleId)?.status).toBe("archived");
    const after = learning.contextFor(invoicesSpec, TEST_SCOPE).learned;
    expect(after.some((i) => i.ref === `rule:${ruleId}`)).toBe(false);
    expect(after.some((i) => i.kind === "pattern")).toBe(false);
    // Archived, not deleted.
    expect((db.prepare("SELECT COUNT(*) AS n FROM patterns WHERE archived = 1").get() as { n: number }).n).toBe(patternIds.length);
  });
});

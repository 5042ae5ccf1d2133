import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { frequentSignatures } from "../../src/learn/errors/index.js";
import { getRule } from "../../src/learn/fixes/index.js";
import { getGenerationByIssue, listAttempts } from "../../src/store/generations.js";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import { INSTALLATION_ID, startApp, type AppHarness } from "../support/app-harness.js";
import { checkSuiteCompleted, issueLabeled, pullRequestClosed } from "../support/events.js";
import { expectMessage, filesReply, modelFiles, type CapturedMessage } from "../support/model.js";
import { useNockChecks } from "./helpers.js";

/**
 * The learning loop through the real App: webhooks in, a fake GitHub repository, the Messages API replayed
 * with nock. What one PR teaches (a merge with a human fix and a maintainer's 👍, a CI failure) must show in
 * the next generation's prompt, its PR body and the code it commits, and in the learning tables.
 */
const CONFIG = "max_attempts: 2\n";
const SCOPE = { installationId: INSTALLATION_ID, repository: null };
/** Another installation of the app: it taught nothing, so reads scoped to it must find none of this one's records. */
const OTHER_SCOPE = { installationId: 5_151, repository: null };
const USAGE = { input_tokens: 1_500, output_tokens: 900, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

function issue(yaml: string): string {
  return ["Please generate this component.", "", "```yaml", yaml.trim(), "```"].join("\n");
}

const ORDERS_ISSUE = issue(`
name: OrdersFetchOperator
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

const INVOICES_ISSUE = issue(`
name: InvoicesFetchOperator
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

const CHECKSUM_ISSUE = issue(`
name: ChecksumWriterOperator
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

/** The model's three files for an HTTP fetch operator that calls requests.get without a timeout. */
function fetchFiles(className: string, module: string, attr: string, local: string) {
  return [
    { role: "component" as const, content: component(className, attr, local) },
    {
      role: "test" as const,
      content: `from operators.${module} import ${className}\n\n\ndef test_template_fields() -> None:\n    assert ${className}.template_fields == ("${attr}",)\n`,
    },
    {
      role: "dag" as const,
      content: `import datetime\n\nfrom airflow import DAG\n\nfrom operators.${module} import ${className}\n\nwith DAG(dag_id="${module}_example", schedule=None, start_date=datetime.datetime(2025, 1, 1), catchup=False) as dag:\n    ${className}(task_id="fetch", ${attr}="https://example.com/api")\n`,
    },
  ];
}

function promptText(captured: CapturedMessage | undefined): string {
  return [...(captured?.system.map((b) => b.text) ?? []), ...(captured?.messages.map((m) => m.content) ?? [])].join("\n");
}

let app: AppHarness | undefined;
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp({
    config: CONFIG,
    providerFor: (config) => anthropicProvider({ apiKey: "sk-ant-test", maxRetries: 0, ...(config.model === undefined ? {} : { model: config.model }) }),
  });
});
afterEach(() => {
  app = undefined;
});

function harness(): AppHarness {
  if (app === undefined) throw new Error("no app");
  return app;
}

/** Opens issue `number` with `body`, answers the one model call with `files`, and returns the PR it produced. */
async function openPr(a: AppHarness, number: number, body: string, files: { role: "component" | "test" | "dag"; content: string }[], prompts: CapturedMessage[]) {
  a.fake.addIssue(a.repo, { number, body, labels: ["generate-operator"] });
  expectMessage(filesReply(files), USAGE, prompts);
  // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
  await a.receive("issues", issueLabeled({ issueNumber: number, body }));
  await a.drain();
  const pull = [...a.repo.pulls.values()].find((p) => p.head.startsWith(`opforge/${number}-`));
  if (pull === undefined) throw new Error(`no PR for issue #${number}`);
  return { number: pull.number, branch: pull.head, body: pull.body, headSha: a.repo.refs.get(pull.head) ?? "", prompt: promptText(prompts.at(-1)) };
}

const MAINTAINER = { login: "Codertocat", id: 21031067, type: "User" as const };

/** Merges `pr` with `edits` (a reviewer's changes), delivers pull_request.closed, and returns the lessons comment, if any. */
async function merge(a: AppHarness, pr: { number: number; branch: string }, edits: Record<string, string>) {
  const mergeSha = a.fake.mergePull(a.repo, pr.number, edits);
  const headSha = a.repo.pulls.get(pr.number)?.headSha ?? "";
  // pull_request.closed example 0; patched installation, pull_request.number/merged/merge_commit_sha/head.ref/head.sha.
  await a.receive("pull_request", pullRequestClosed({ prNumber: pr.number, merged: true, mergeSha, headRef: pr.branch, headSha }));
  await a.drain();
  return [...a.repo.comments.values()].find((c) => c.issueNumber === pr.number && c.body.includes("What you changed vs. what I generated"));
}

/**
 * A GitHub Actions job log of `pytest --continue-on-collection-errors`: the generated operator's test module
 * cannot be imported because `requests` is not installed, and the DAG integrity test fails on the same DAG.
 */
function importFailureLog(module: string, className: string): string {
  const lines = [
    "\uFEFFCurrent runner version: '2.321.0'",
    "##[group]Run pip install -r requirements-dev.txt",
    "Successfully installed apache-airflow-3.0.2 pytest-8.3.3",
    "##[endgroup]",
    "##[group]Run pytest --continue-on-collection-errors -q tests",
    "============================= test session starts ==============================",
    "platform linux -- Python 3.11.10, pytest-8.3.3, pluggy-1.5.0",
    "rootdir: /home/runner/work/Hello-World/Hello-World",
    "collected 2 items / 1 error",
    "",
    "tests/dags/test_dag_integrity.py F.                                      [100%]",
    "",
    "==================================== ERRORS ====================================",
    `_________ ERROR collecting tests/operators/test_${module}.py _________`,
    `ImportError while importing test module '/home/runner/work/Hello-World/Hello-World/tests/operators/test_${module}.py'.`,
    "Hint: make sure your test modules/packages have valid Python names.",
    "Traceback:",
    "/opt/hostedtoolcache/Python/3.11.10/x64/lib/python3.11/importlib/__init__.py:126: in import_module",
    "    return _bootstrap._gcd_import(name[level:], package, level)",
    `tests/operators/test_${module}.py:1: in <module>`,
    `    from operators.${module} import ${className}`,
    `plugins/operators/${module}.py:5: in <module>`,
    "    import requests",
    "E   ModuleNotFoundError: No module named 'requests'",
    "=================================== FAILURES ===================================",
    "_______________________________ test_no_import_errors _______________________________",
    "",
    "    def test_no_import_errors():",
    '        dag_bag = DagBag(dag_folder="dags", include_examples=False)',
    ">       assert dag_bag.import_errors == {}, f\"DAG import errors: {dag_bag.import_errors}\"",
    `E       AssertionError: DAG import errors: {'dags/examples/${module}_example_dag.py': 'broken DAG'}`,
    "",
    "tests/dags/test_dag_integrity.py:9: AssertionError",
    "=========================== short test summary info ============================",
    `FAILED tests/dags/test_dag_integrity.py::test_no_import_errors - AssertionError: DAG import errors: {'dags/examples/${module}_example_dag.py': 'broken DAG'}`,
    `ERROR tests/operators/test_${module}.py`,
    "==================== 1 failed, 1 passed, 1 error in 2.87s =====================",
    "##[error]Process completed with exit code 1.",
    "##[endgroup]",
    "Post job cleanup.",
  ];
  let ms = Date.parse("2026-11-24T10:02:11.000Z");
  return lines.map((line) => `${new Date((ms += 37)).toISOString().replace("Z", "0000Z")} ${line}`).join("\n");
}

const EXIT_CODE_ANNOTATION = {
  path: ".github",
  start_line: 1,
  end_line: 1,
  annotation_level: "failure" as const,
  title: "",
  message: "Process completed with exit code 1.",
};

const ORDERS_BOTH_ISSUE = ORDERS_ISSUE.replace('airflow_version: "3"', "airflow_version: both");

/** The same operator after the fix CI asked for: the HTTP provider's hook instead of a bare requests client. */
function hookComponent(className: string, attr: string): string {
  return `from __future__ import annotations

from typing import Any

from airflow.providers.http.hooks.http import HttpHook

try:
    from airflow.sdk import BaseOperator
except ImportError:
    from airflow.models.baseoperator import BaseOperator


class ${className}(BaseOperator):
    """Fetches JSON over HTTP through an Airflow HTTP connection.

    :param ${attr}: endpoint to fetch (templated)
    """

    template_fields = ("${attr}",)

    def __init__(self, *, ${attr}: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.${attr} = ${attr}

    def execute(self, context: Any) -> Any:
        hook = HttpHook(method="GET", http_conn_id="http_default")
        response = hook.run(self.${attr})
        self.log.info("fetched %s", self.${attr})
        return response.json()
`;
}

const ORDERS_COMPONENT = "plugins/operators/orders_fetch_operator.py";
const INVOICES_COMPONENT = "plugins/operators/invoices_fetch_operator.py";

/**
 * Issue #1 (the orders operator, for Airflow 2 and 3) → PR; its CI fails because `requests` is not installed
 * (plus the DAG integrity test); the automatic retry (a patch) swaps requests for the HTTP provider's hook.
 */
async function failOnImportThenRetry(a: AppHarness, prompts: CapturedMessage[]) {
  const first = await openPr(a, 1, ORDERS_BOTH_ISSUE, fetchFiles("OrdersFetchOperator", "orders_fetch_operator", "url", "response"), prompts);
  const retryFiles = fetchFiles("OrdersFetchOperator", "orders_fetch_operator", "url", "response").map((f) =>
    f.role === "component" ? { ...f, content: hookComponent("OrdersFetchOperator", "url") } : f,
  );
  expectMessage(filesReply(retryFiles), USAGE, prompts);
  const suite = a.fake.completeSuite(
    a.repo,
    first.headSha,
    [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: importFailureLog("orders_fetch_operator", "OrdersFetchOperator") }],
    first.branch,
  );
  // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
  await a.receive("check_suite", checkSuiteCompleted({ suiteId: suite, headSha: first.headSha, headBranch: first.branch, conclusion: "failure" }));
  await a.drain();
  const generation = await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 1);
  if (generation === null) throw new Error("no generation for issue #1");
  return { first, generation, retryHead: a.repo.refs.get(first.branch) ?? "", retryPrompt: promptText(prompts.at(-1)) };
}

interface SignatureRow {
  id: number;
  installation_id: number;
  signature: string;
  kind: string;
  occurrences: number;
}

describe("the learning loop through the app", () => {
  it("a human fix merged and trusted with 👍 repairs the same mistake in a different component before its PR", async () => {
    const a = harness();
    const prompts: CapturedMessage[] = [];

    // Issue A: the orders operator; the model calls requests.get without a timeout.
    const orders = await openPr(a, 1, ORDERS_ISSUE, fetchFiles("OrdersFetchOperator", "orders_fetch_operator", "url", "response"), prompts);
    expect(orders.prompt).not.toContain("timeout=");
    expect(orders.body).toContain("### Repairs applied before this commit\nNo repairs were needed.");
    const generated = a.fake.filesAt(a.repo, orders.headSha).get(ORDERS_COMPONENT) ?? "";
    expect(generated).toContain("        response = requests.get(self.url)\n");

    // A reviewer adds the timeout before merging; opforge says what it learned on the PR.
    const lessons = await merge(a, orders, { [ORDERS_COMPONENT]: generated.replace("requests.get(self.url)", "requests.get(self.url, timeout=30)") });
    const rule = a.db.prepare("SELECT id FROM rewrite_rules WHERE installation_id = ?").get(INSTALLATION_ID) as { id: number } | undefined;
    const ruleId = rule?.id ?? 0;
    expect(lessons?.body).toContain("-        response = requests.get(self.url)\n+        response = requests.get(self.url, timeout=30)");
    expect(lessons?.body).toContain(`- **Rule #${ruleId} (candidate):** \`requests.get(...)\` → \`requests.get(..., timeout=30)\``);
    expect(lessons?.body).toContain(`React with 👍 to trust this rule (#${ruleId})`);
    expect((await getRule(kyselyOverStore(a.db), SCOPE, ruleId))?.status).toBe("candidate");

    // A maintainer's 👍 on that comment, seen when opforge looks for a verdict ten minutes later, trusts the rule.
    a.repo.permissions.set(MAINTAINER.login, "maintain");
    a.fake.react(a.repo, lessons?.id ?? 0, "+1", MAINTAINER);
    a.clock.advance(11 * 60_000);
    await a.drain();
    expect((await getRule(kyselyOverStore(a.db), SCOPE, ruleId))?.status).toBe("trusted");

    // Issue B: another component of the same kind; the model makes the same mistake.
    const invoicesFiles = fetchFiles("InvoicesFetchOperator", "invoices_fetch_operator", "endpoint", "reply");
    expect(invoicesFiles[0]?.content).toContain("        reply = requests.get(self.endpoint)\n");
    const invoices = await openPr(a, 2, INVOICES_ISSUE, invoicesFiles, prompts);

    // Its prompt carries what the merge taught: the merged execute() shape, timeout included.
    expect(invoices.prompt).toContain("# Learned context\nWhat earlier generations in this project taught.");
    expect(invoices.prompt).toMatch(/### pattern: execute_shape: execute\(\) of an operator: calls requests\.get, self\.log\.info; returns a value \[pattern:\d+\]\nWhy it is here: used in 1 successful component, 100% success/);
    expect(invoices.prompt).toContain("    <V1> = requests.get(self.<P1>, timeout=<N>)\n");
    // Its PR body lists the learned context used and the repair the trusted rule made…
    expect(invoices.body).toContain(
      `### Repairs applied before this commit\n- \`${INVOICES_COMPONENT}\`: \`requests.get(...)\` → \`requests.get(..., timeout=30)\` (line 26) (\`learned/${ruleId}\`)\n`,
    );
    expect(invoices.body).toContain(
      "\n- **pattern** execute_shape: execute() of an operator: calls requests.get, self.log.info; returns a value — used in 1 successful component, 100% success",
    );
    // …and the committed code carries the repair, not the model's mistake.
    const committed = a.fake.filesAt(a.repo, invoices.headSha).get(INVOICES_COMPONENT) ?? "";
    expect(committed).toContain("        reply = requests.get(self.endpoint, timeout=30)\n");
    expect(committed).not.toContain("requests.get(self.endpoint)\n");
  });

  it("a CI failure records error signatures, library outcomes and fix attempts, settled when the retry passes", async () => {
    const a = harness();
    const prompts: CapturedMessage[] = [];
    const { first, generation, retryHead, retryPrompt } = await failOnImportThenRetry(a, prompts);

    // Error signatures: one per failure, the installation's own, each occurrence linked to the generation.
    const signatures = a.db.prepare("SELECT id, installation_id, signature, kind, occurrences FROM error_signatures ORDER BY id").all() as SignatureRow[];
    expect(signatures).toEqual([
      { id: expect.any(Number), installation_id: INSTALLATION_ID, signature: "ModuleNotFoundError: No module named <STR>", kind: "import", occurrences: 1 },
      { id: expect.any(Number), installation_id: INSTALLATION_ID, signature: "AssertionError: DAG import errors: {<STR>: <STR>}", kind: "test_failure", occurrences: 1 },
    ]);
    const [importSig, testSig] = signatures.map((row) => row.id);
    const occurrences = a.db
      .prepare("SELECT signature_id, generation_id, installation_id, repository, source, component_type, category FROM error_occurrences ORDER BY id")
      .all();
    expect(occurrences).toEqual(
      [importSig, testSig].map((signatureId) => ({
        signature_id: signatureId,
        generation_id: generation.id,
        installation_id: INSTALLATION_ID,
        repository: "Codertocat/Hello-World",
        source: "ci",
        component_type: "operator",
        category: "http",
      })),
    );
    // Reads are scoped: the installation sees both signatures, another installation none.
    expect((await frequentSignatures(kyselyOverStore(a.db), SCOPE, { componentType: "operator", category: "http", limit: 5 })).map((f) => f.signatureId).sort()).toEqual([importSig, testSig]);
    expect(await frequentSignatures(kyselyOverStore(a.db), OTHER_SCOPE, { componentType: "operator", category: "http", limit: 5 })).toEqual([]);

    // Library outcomes: requests, which the generated component imports, failed to import on each Airflow major the spec targets.
    const outcomes = () =>
      a.db.prepare("SELECT library, airflow_major, kind, generation_id, installation_id, detail FROM library_outcomes ORDER BY id").all();
    expect(outcomes()).toEqual(
      ["2", "3"].map((major) => ({
        library: "requests",
        airflow_major: major,
        kind: "import_failed",
        generation_id: generation.id,
        installation_id: INSTALLATION_ID,
        detail: "ModuleNotFoundError: No module named 'requests'",
      })),
    );

    // The retry was asked to fix both failures, and the fix it tries is recorded, pending its CI run.
    expect(retryPrompt).toContain(
      "- test (3.11): ModuleNotFoundError: No module named 'requests' (plugins/operators/orders_fetch_operator.py:5) — fix strategy: add the distribution to the requirements",
    );
    expect(retryHead).not.toBe(first.headSha);
    const fixes = () =>
      a.db
        .prepare("SELECT signature_id, fix_kind, fix_label, generation_id, attempt_number, outcome, resolved_at, installation_id FROM fix_attempts ORDER BY id")
        .all();
    const pending = [importSig, testSig].map((signatureId) => ({
      signature_id: signatureId,
      fix_kind: "prompt_instruction",
      fix_label: "retry: patch",
      generation_id: generation.id,
      attempt_number: 2,
      outcome: "pending",
      resolved_at: null,
      installation_id: INSTALLATION_ID,
    }));
    expect(fixes()).toEqual(pending);

    // The retry's CI passes: its fixes are settled as successful, and the hook's provider imported and ran.
    a.clock.advance(5 * 60_000);
    const green = a.fake.completeSuite(a.repo, retryHead, [{ name: "test (3.11)", conclusion: "success" }], first.branch);
    await a.receive("check_suite", checkSuiteCompleted({ suiteId: green, headSha: retryHead, headBranch: first.branch, conclusion: "success" }));
    await a.drain();
    expect(fixes()).toEqual(pending.map((row) => ({ ...row, outcome: "passed", resolved_at: a.clock.ms })));
    expect(outcomes().slice(2)).toEqual(
      ["2", "3"].flatMap((major) =>
        ["import_ok", "exec_ok"].map((kind) => ({
          library: "apache-airflow-providers-http",
          airflow_major: major,
          kind,
          generation_id: generation.id,
          installation_id: INSTALLATION_ID,
          detail: null,
        })),
      ),
    );
    expect((await listAttempts(a.kysely, generation.id)).map((attempt) => attempt.outcome)).toEqual(["ci_failed", "ci_passed"]);
  });

  it("a library that failed to import in CI gets its alternative in the next generation's prompt", async () => {
    const a = harness();
    const prompts: CapturedMessage[] = [];
    // The alternatives are curated knowledge every installation has from the start (the library seed of the
    // migrations); what the app must learn is that requests failed. Before that, the hook is only a preference.
    const { first } = await failOnImportThenRetry(a, prompts);
    expect(first.prompt).toContain("requests on Airflow 2 and 3: no CI results yet. Prefer HttpHook (add apache-airflow-providers-http to dependencies)");

    const invoices = await openPr(a, 3, INVOICES_ISSUE, fetchFiles("InvoicesFetchOperator", "invoices_fetch_operator", "endpoint", "reply"), prompts);
    expect(invoices.prompt).toContain(
      "### library: requests: unknown [library:requests]\nWhy it is here: requests failed in CI before\nrequests on Airflow 3: not enough data (n=1); failed so far: import failed 1×. Use instead HttpHook (add apache-airflow-providers-http to dependencies): `from airflow.providers.http.hooks.http import HttpHook`",
    );
    expect(invoices.prompt).toMatch(/### fix: Avoid: ModuleNotFoundError: No module named <STR> \[signature:\d+\]\n/);
    expect(invoices.body).toContain("- **library** requests: unknown — requests failed in CI before\n");
  });

  it("a pattern of merged code is offered to a similar spec and not to an unrelated one", async () => {
    const a = harness();
    const prompts: CapturedMessage[] = [];
    const orders = await openPr(a, 1, ORDERS_ISSUE, fetchFiles("OrdersFetchOperator", "orders_fetch_operator", "url", "response"), prompts);
    expect(orders.prompt).not.toContain("### pattern:");
    expect(await merge(a, orders, {})).toBeUndefined();

    const EXECUTE_SHAPE = "execute_shape: execute() of an operator: calls requests.get, self.log.info; returns a value";
    const invoices = await openPr(a, 2, INVOICES_ISSUE, fetchFiles("InvoicesFetchOperator", "invoices_fetch_operator", "endpoint", "reply"), prompts);
    expect(invoices.prompt).toContain(`### pattern: ${EXECUTE_SHAPE} [pattern:`);
    expect(invoices.prompt).toContain("    <V1> = requests.get(self.<P1>)\n");
    expect(invoices.body).toContain(`- **pattern** ${EXECUTE_SHAPE} — used in 1 successful component, 100% success`);

    const checksum = await openPr(a, 3, CHECKSUM_ISSUE, modelFiles(CHECKSUM_ISSUE, "operators.checksum_writer_operator"), prompts);
    // The merged test's shape carries no library, so it may come along; the requests call in execute() may not.
    const at = checksum.prompt.indexOf("# Learned context");
    expect(at).toBeGreaterThanOrEqual(0);
    const learned = checksum.prompt.slice(at);
    expect(learned).toMatch(/### pattern: test_structure: pytest test of an operator: 0 fixtures, 1 assert \[pattern:\d+\]/);
    expect(learned).not.toContain("execute_shape");
    expect(learned).not.toContain("requests");
    expect(checksum.body).not.toContain("execute_shape");
    expect(checksum.body).not.toContain("requests");
  });
});

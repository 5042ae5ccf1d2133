import { describe, expect, it } from "vitest";
import { renderPrBody, renderPrTitle, renderSpecFindings, renderStatusComment, type PrSummary } from "../../src/pipeline/render.js";

const summary: PrSummary = {
  componentName: "HttpApiOperator",
  componentType: "operator",
  description: "Calls an HTTP REST endpoint\nand returns the JSON.",
  airflowVersion: "both",
  issueNumber: 12,
  files: [
    { path: "plugins/operators/http_api_operator.py", role: "component" },
    { path: "tests/operators/test_http_api_operator.py", role: "test" },
  ],
  findings: [{ path: "plugins/operators/http_api_operator.py", rule: "print-call", severity: "warning", line: 40, message: "print() | use self.log" }],
  fixes: [{ path: "plugins/operators/http_api_operator.py", rule: "param-order", description: "moved required parameters before those with defaults" }],
  learnedUsed: [{ kind: "library", title: "requests: incompatible", reason: "requests failed in CI before" }],
  provider: "anthropic",
  model: "claude-sonnet-5-5",
  scaffold: false,
  attempts: [
    { number: 1, trigger: "initial", outcome: "failed_generation", reason: "wrong_class: the class is named HttpOperator" },
    { number: 2, trigger: "initial", outcome: "validated" },
  ],
  usage: { input: 4000, output: 3000, cacheRead: 1200, cacheWrite: 0 },
  costUsd: 0.046,
};

describe("the PR body", () => {
  it("says what was generated, closes the issue, and lists findings, repairs, learned context and cost", () => {
    const body = renderPrBody(summary);
    expect(body).toContain("Generated operator `HttpApiOperator` for Airflow 2.x and 3.x from the spec in #12.");
    expect(body).toContain("Closes #12");
    expect(body).toContain("> Calls an HTTP REST endpoint and returns the JSON.");
    expect(body).toContain("- `plugins/operators/http_api_operator.py` (component)");
    expect(body).toContain("| warning | `plugins/operators/http_api_operator.py:40` | `print-call` | print() \\| use self.log |");
    expect(body).toContain("- `plugins/operators/http_api_operator.py`: moved required parameters before those with defaults (`param-order`)");
    expect(body).toContain("- **library** requests: incompatible — requests failed in CI before");
    expect(body).toContain("- tokens: 4000 in / 3000 out / 1200 cache read / 0 cache write");
    expect(body).toContain("- cost: $0.0460");
    expect(body).toContain("| 1 | initial | failed_generation | wrong_class: the class is named HttpOperator |");
    expect(body).not.toContain("Scaffold:");
    expect(renderPrTitle(summary)).toBe("Add operator HttpApiOperator");
  });

  it("labels a scaffold and says when nothing was learned yet or found", () => {
    const body = renderPrBody({ ...summary, scaffold: true, findings: [], fixes: [], learnedUsed: [], provider: "scaffold", model: "scaffold" });
    expect(body).toContain("> **Scaffold:** no model was called.");
    expect(body).toContain("- provider: `scaffold` (scaffold: no model was called)");
    expect(body).toContain("No findings: the generated files pass every local rule.");
    expect(body).toContain("None: nothing learned so far matched this spec.");
    expect(renderPrTitle({ ...summary, scaffold: true })).toBe("Scaffold operator HttpApiOperator");
  });
});

describe("the PR body's Airflow API facts", () => {
  const source = { version: "3.0", ref: "main", commit: "7d29a786407295ceb82c9f84913b10e476af1d29" };
  const apiFacts: PrSummary["apiFacts"] = [
    {
      name: "BaseOperator",
      role: "base",
      reasons: "base class of this operator",
      imports: ["from airflow.sdk import BaseOperator", "from airflow.models.baseoperator import BaseOperator"],
      params: ["task_id", "owner", "email", "email_on_retry", "email_on_failure", "retries", "retry_delay", "retry_exponential_backoff", "max_retry_delay", "start_date"],
      methods: ["execute"],
      source,
    },
    {
      name: "HttpHook",
      role: "hook",
      reasons: 'named in the requirements; implied by the dependency apache-airflow-providers-http and the category "http"',
      imports: ["from airflow.providers.http.hooks.http import HttpHook"],
      params: ["method", "http_conn_id", "auth_type"],
      connection: { param: "http_conn_id", default: "http_default", type: "http" },
      methods: ["run", "run_and_check"],
      source,
    },
  ];

  it("lists each class with its import, connection argument, parameters, methods and knowledge-base version, folded", () => {
    const body = renderPrBody({ ...summary, apiFacts });
    expect(body).toContain(
      [
        "### Learned context used",
        "- **library** requests: incompatible — requests failed in CI before",
        "",
        "### Airflow API facts given to the model",
        "<details><summary>2 classes with import paths and signatures read from Airflow 3.0 (main @ 7d29a78640)</summary>",
        "",
        "- `BaseOperator` (base class of this operator): `from airflow.sdk import BaseOperator` or `from airflow.models.baseoperator import BaseOperator`; `__init__`: task_id, owner, email, email_on_retry, email_on_failure, retries, retry_delay, retry_exponential_backoff, … (2 more); methods: execute — Airflow 3.0",
        '- `HttpHook` (hook, named in the requirements; implied by the dependency apache-airflow-providers-http and the category "http"): `from airflow.providers.http.hooks.http import HttpHook`; connection `http_conn_id` (default `http_default`, type `http`); `__init__`: method, http_conn_id, auth_type; methods: run, run_and_check — Airflow 3.0',
        "",
        "</details>",
        "",
        "### Generation",
      ].join("\n"),
    );
  });

  it("says a scaffold took its hooks from them, that there were none, or nothing when they were not computed", () => {
    expect(renderPrBody({ ...summary, scaffold: true, apiFacts })).toContain(
      "### Airflow API facts given to the model\nNo model was called; the scaffold took its hooks and connection arguments from these facts.\n<details>",
    );
    expect(renderPrBody({ ...summary, apiFacts: [] })).toContain(
      "### Airflow API facts given to the model\nNone: no Airflow knowledge base was available, or no fact fitted the budget.\n",
    );
    expect(renderPrBody(summary)).not.toContain("Airflow API facts");
  });
});

describe("issue comments", () => {
  it("walks the status through queued, generating, PR opened and failed", () => {
    expect(renderStatusComment({ state: "queued" })).toContain("generation is queued");
    expect(renderStatusComment({ state: "generating", attempt: 2 })).toContain("generating (attempt 2)");
    expect(renderStatusComment({ state: "pr_opened", prNumber: 8, prUrl: "https://github.com/o/r/pull/8", updated: false })).toBe(
      "✅ **opforge**: opened pull request #8: https://github.com/o/r/pull/8",
    );
    expect(renderStatusComment({ state: "pr_opened", prNumber: 8, updated: true })).toBe("✅ **opforge**: pull request #8 was updated from the edited spec");
    expect(renderStatusComment({ state: "failed", reason: "no_code: the reply held no code block" })).toContain("generation failed. no_code: the reply held no code block");
  });

  it("lists every spec problem with its field path and line, then the warnings", () => {
    const text = renderSpecFindings(
      [
        { path: "name", message: "must be PascalCase, e.g. HttpApiOperator", line: 1 },
        { path: "inputs[2].name", message: "'class' is a Python keyword" },
      ],
      [{ path: "colour", message: "unknown key kept as written", line: 9 }],
      "generate-operator",
    );
    expect(text).toContain("2 problems to fix");
    expect(text).toContain("- `name` (line 1): must be PascalCase, e.g. HttpApiOperator");
    expect(text).toContain("- `inputs[2].name`: 'class' is a Python keyword");
    expect(text).toContain("Warnings (these do not block generation):\n- `colour` (line 9): unknown key kept as written");
    expect(text).toContain("while the issue has the `generate-operator` label");
  });
});

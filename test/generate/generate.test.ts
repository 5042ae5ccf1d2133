import nock from "nock";
import { describe, expect, it } from "vitest";
import { runAttempts } from "../../src/generate/attempts.js";
import { generate } from "../../src/generate/generate.js";
import { DEFAULT_PRICES } from "../../src/generate/prices.js";
import { scaffoldProvider } from "../../src/generate/providers/scaffold.js";
import { SCAFFOLD_HEADER } from "../../src/generate/scaffold/index.js";
import type { AttemptResult, GeneratedFile, ModelProvider } from "../../src/generate/types.js";
import { ANTHROPIC_API, exampleSpec, hasPython, messagesReply, pyCompileErrors, recordedReply, testAnthropic, weatherSpec } from "./helpers.js";
import { useNock } from "../support/nock.js";

const API = ANTHROPIC_API;
const reply = recordedReply;
const message = (text: string) => messagesReply(text, { input_tokens: 1000, output_tokens: 1000, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000 });
const anthropic = testAnthropic;

useNock();

describe("generate", () => {
  it("with the scaffold provider returns labeled, compiling files at no cost", async () => {
    const result = await generate(weatherSpec(), { learned: [], airflowVersion: "2" }, scaffoldProvider(), { prices: DEFAULT_PRICES });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result).toMatchObject({ scaffold: true, provider: "scaffold", model: "scaffold", costUsd: 0, priceKnown: true });
    expect(result.usage).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    expect(result.files.map((f) => f.role)).toEqual(["component", "test", "dag"]);
    for (const file of result.files) expect(file.content.startsWith(SCAFFOLD_HEADER)).toBe(true);
    // The context's Airflow version overrides the spec's "both".
    expect(result.files[0]?.content).not.toContain("airflow.sdk");
    if (hasPython) expect(pyCompileErrors(result.files)).toEqual([]);
  });

  it("fills a missing test and DAG from the scaffold templates and says so", async () => {
    nock(API).post("/v1/messages").reply(200, message(reply("weather-component-only.md")));
    const result = await generate(weatherSpec(), { learned: [] }, anthropic(), { prices: DEFAULT_PRICES });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.scaffold).toBe(false);
    expect(result.filledFromScaffold).toEqual(["test", "dag"]);
    expect(result.notes).toContain("the reply had no test or dag block; filled from the scaffold templates");
    expect(result.files[0]?.content).toContain("HttpHook");
    expect(result.files[1]?.content.startsWith(SCAFFOLD_HEADER)).toBe(true);
    expect(result.files[2]?.content).toContain("with DAG(");
  });

  it("reports the learned items it used and the ones the budget left out", async () => {
    const small = { kind: "guidance" as const, title: "use HttpHook", body: "HttpHook handles retries.", reason: "category http" };
    const big = { kind: "pattern" as const, title: "big", body: "x".repeat(4000), reason: "similar spec" };
    const result = await generate(weatherSpec(), { learned: [big, small], tokenBudget: 200 }, scaffoldProvider());
    expect(result.ok && result.learnedUsed).toEqual([small]);
    expect(result.ok && result.learnedDropped).toEqual([big]);
  });

  it("keeps the Airflow API facts the prompt carried, and says when the budget left some out", async () => {
    const spec = await exampleSpec("postgres_to_s3_operator");
    const full = await generate(spec, { learned: [] }, scaffoldProvider());
    expect(full.ok && full.apiFacts.map((f) => f.name)).toEqual(["BaseOperator", "PostgresHook", "S3Hook", "SQLExecuteQueryOperator"]);
    expect(full.ok && full.notes).toEqual([]);
    const cut = await generate(spec, { learned: [], apiFactsBudget: 900 }, scaffoldProvider());
    expect(cut.ok && cut.apiFacts.map((f) => f.name)).toEqual(["BaseOperator", "PostgresHook", "S3Hook"]);
    expect(cut.ok && cut.notes).toEqual(["1 Airflow API fact(s) did not fit the token budget and were left out"]);
  });

  it("turns an unexpected provider exception into a provider_error", async () => {
    const broken: ModelProvider = {
      name: "openai-compatible",
      model: "m",
      complete: () => Promise.reject(new TypeError("fetch failed")),
    };
    const result = await generate(weatherSpec(), { learned: [] }, broken, { prices: DEFAULT_PRICES });
    expect(result).toMatchObject({
      ok: false,
      kind: "provider_error",
      reason: "openai-compatible provider failed: fetch failed",
      retryable: false,
    });
  });
});

describe("runAttempts", () => {
  it("retries an unusable reply, giving the next attempt the failure as retry context", async () => {
    const bodies: { messages: { content: string }[] }[] = [];
    nock(API)
      .post("/v1/messages", (b: { messages: { content: string }[] }) => {
        bodies.push(b);
        return true;
      })
      .reply(200, message(reply("weather-wrong-class.md")))
      .post("/v1/messages", (b: { messages: { content: string }[] }) => {
        bodies.push(b);
        return true;
      })
      .reply(200, message(reply("weather-labeled.md")));
    const seen: AttemptResult[] = [];
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, anthropic(), {
      prices: DEFAULT_PRICES,
      onAttempt: (a) => {
        seen.push(a);
      },
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.attempts.map((a) => (a.ok ? "ok" : a.kind))).toEqual(["wrong_class", "ok"]);
    expect(seen).toEqual(outcome.attempts);
    expect(outcome.final).toBe(outcome.attempts[1]);
    expect(bodies[0]?.messages[0]?.content).not.toContain("# Retry");
    const second = bodies[1]?.messages[0]?.content ?? "";
    expect(second).toContain("# Retry: attempt 2");
    expect(second).toContain("Strategy: regenerate.");
    expect(second).toContain(
      "- wrong_class: the component class is named WeatherOperator; the spec names it WeatherFetchOperator",
    );
    // each attempt is priced on its own: 1000 × $2 + 1000 × $10 + 2000 × $0.2 per million
    for (const attempt of outcome.attempts) expect(attempt.costUsd).toBeCloseTo(0.0124, 10);
  });

  it("stops at a provider error that another try cannot fix", async () => {
    nock(API)
      .post("/v1/messages")
      .reply(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, anthropic(), { maxAttempts: 3, prices: DEFAULT_PRICES });
    expect(outcome.ok).toBe(false);
    expect(outcome.attempts).toHaveLength(1);
    expect(outcome.final).toBeUndefined();
  });

  it("records every failed attempt up to maxAttempts", async () => {
    nock(API).post("/v1/messages").times(2).reply(200, message(reply("no-code.md")));
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, anthropic(), { maxAttempts: 2, prices: DEFAULT_PRICES });
    expect(outcome.ok).toBe(false);
    expect(outcome.attempts.map((a) => !a.ok && a.kind)).toEqual(["no_code", "no_code"]);
    expect(outcome.attempts[0]).toMatchObject({ rawReplyExcerpt: expect.stringContaining("which weather API") });
  });

  it("runs a check between generation and writing; a failed check becomes a patch retry", async () => {
    const checked: GeneratedFile[][] = [];
    const prompts: string[] = [];
    const inner = scaffoldProvider();
    const recording: ModelProvider = {
      ...inner,
      complete: (prompt, spec) => {
        prompts.push(prompt.user);
        return inner.complete(prompt, spec);
      },
    };
    let calls = 0;
    const outcome = await runAttempts(weatherSpec(), { learned: [], retry: undefined }, recording, {
      maxAttempts: 2,
      check: async (files) => {
        checked.push(files);
        calls += 1;
        return calls === 1
          ? { ok: false, failures: ["AIR302 line 40: execution_date was removed in Airflow 3"], files }
          : { ok: true, files: files.map((f) => ({ ...f, content: `${f.content}# checked\n` })) };
      },
    });
    expect(outcome.attempts.map((a) => (a.ok ? "ok" : a.kind))).toEqual(["check_failed", "ok"]);
    expect(outcome.attempts[0]).toMatchObject({ reason: "AIR302 line 40: execution_date was removed in Airflow 3", retryable: true });
    expect(outcome.final?.files.every((f) => f.content.endsWith("# checked\n"))).toBe(true);
    expect(checked).toHaveLength(2);
    expect(prompts[1]).toContain("Strategy: patch.");
    expect(prompts[1]).toContain("- AIR302 line 40: execution_date was removed in Airflow 3");
    expect(prompts[1]).toContain("weather_fetch_operator.py:\n```python file=component\n" + SCAFFOLD_HEADER);
  });
});

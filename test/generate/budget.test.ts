import nock from "nock";
import { describe, expect, it } from "vitest";
import { repoConfigSchema } from "../../src/config/repo-config.js";
import { installationGate } from "../../src/flows/spend-gate.js";
import { runAttempts } from "../../src/generate/attempts.js";
import { perRunGate } from "../../src/generate/budget.js";
import { DEFAULT_PRICES, priceTableFromEnv } from "../../src/generate/prices.js";
import { openAiCompatibleProvider } from "../../src/generate/providers/openai-compatible.js";
import { scaffoldProvider } from "../../src/generate/providers/scaffold.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { openDatabase } from "../../src/store/database.js";
import { backendKinds, openBackend } from "../support/backends.js";
import { ANTHROPIC_API, messagesReply, type MessagesUsage, recordedReply, testAnthropic, weatherSpec } from "./helpers.js";
import { useNock } from "../support/nock.js";

const API = ANTHROPIC_API;
const OLLAMA = "http://localhost:11434";
const reply = recordedReply;
const message = (text: string, usage: MessagesUsage = { input_tokens: 3000, output_tokens: 2000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }) => messagesReply(text, usage);
const anthropic = testAnthropic;
const ollama = () => openAiCompatibleProvider({ baseURL: `${OLLAMA}/v1`, model: "qwen2.5-coder:14b", maxRetries: 0 });
const RUN_WORDS = { limitName: "the run's budget (--budget-usd)", raiseHint: "raise --budget-usd", disableHint: "run without --budget-usd" };
// The weather spec's first prompt with claude-sonnet-5-5: about 1 400 prompt tokens at the cache-write rate
// plus 8 192 output tokens at $10 per million, $0.0876.
const WORST_CASE = 0.0876;

useNock();

describe("the money limit", () => {
  it("a budget smaller than the next call's worst case stops it before anything is sent", async () => {
    const model = nock(API).post("/v1/messages").reply(200, message(reply("weather-labeled.md")));
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, anthropic(), { prices: DEFAULT_PRICES, gate: perRunGate(0.05, RUN_WORDS) });
    expect(model.isDone()).toBe(false);
    nock.cleanAll();
    expect(outcome).toEqual({
      ok: false,
      attempts: [],
      refused: {
        kind: "budget",
        reason:
          "the run's budget (--budget-usd) does not cover the next model call: it may cost up to $0.0876 (claude-sonnet-5-5), and of the $0.0500 limit $0.0000 is spent and $0.0000 is reserved by calls in flight, leaving $0.0500. The call was not made; raise --budget-usd.",
      },
    });
  });

  it("a local retry is checked too: the first call spends the budget and the retry is never sent", async () => {
    const first = nock(API).post("/v1/messages").reply(200, message(reply("no-code.md"), { input_tokens: 4000, output_tokens: 6000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }));
    const second = nock(API).post("/v1/messages").reply(200, message(reply("weather-labeled.md")));
    const gate = perRunGate(0.12, RUN_WORDS);
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, anthropic(), { prices: DEFAULT_PRICES, gate, maxAttempts: 3 });
    expect(first.isDone()).toBe(true);
    expect(second.isDone()).toBe(false);
    nock.cleanAll();
    // 4 000 × $2 + 6 000 × $10 per million
    expect(gate.spentUsd()).toBeCloseTo(0.068, 10);
    expect(outcome.attempts.map((a) => !a.ok && a.kind)).toEqual(["no_code"]);
    expect(outcome.refused?.reason).toContain("of the $0.1200 limit $0.0680 is spent and $0.0000 is reserved by calls in flight, leaving $0.0520");
  });

  it("a model with no price is refused under a limit, naming the model and both ways out", async () => {
    const model = nock(OLLAMA).post("/v1/chat/completions").reply(200, {});
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, ollama(), { prices: DEFAULT_PRICES, gate: perRunGate(5, RUN_WORDS) });
    expect(model.isDone()).toBe(false);
    nock.cleanAll();
    expect(outcome.refused).toEqual({
      kind: "price_unknown",
      reason:
        'model "qwen2.5-coder:14b" has no known price, so its calls cannot be counted against the run\'s budget (--budget-usd); the call was not made. ' +
        'Give it a price in OPFORGE_PRICES (USD per million tokens, e.g. OPFORGE_PRICES=\'{"qwen2.5-coder:14b": {"input": 0.5, "output": 1.5}}\'; 0 for a free local model), or run without --budget-usd.',
    });
  });

  it("a price from OPFORGE_PRICES lets the model run under the limit, and the scaffold never asks", async () => {
    nock(OLLAMA)
      .post("/v1/chat/completions")
      .reply(200, { model: "qwen2.5-coder:14b", choices: [{ message: { content: reply("weather-labeled.md") }, finish_reason: "stop" }], usage: { prompt_tokens: 2000, completion_tokens: 1000 } });
    const prices = priceTableFromEnv({ OPFORGE_PRICES: '{"qwen2.5-coder:14b": {"input": 0, "output": 0.5}}' });
    const gate = perRunGate(0.01, RUN_WORDS);
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, ollama(), { prices, gate });
    expect(outcome.ok).toBe(true);
    expect(outcome.attempts[0]).toMatchObject({ priceKnown: true, costUsd: 0.0005 });
    const scaffold = await runAttempts(weatherSpec(), { learned: [] }, scaffoldProvider(), { prices, gate: perRunGate(0, RUN_WORDS) });
    expect(scaffold.ok).toBe(true);
  });

  it("a failed call that reports usage is charged for it", async () => {
    // A 200 whose choices were all withheld (a content filter) still bills the prompt and the output.
    nock(OLLAMA)
      .post("/v1/chat/completions")
      .reply(200, { id: "chatcmpl-9", model: "qwen2.5-coder:14b", choices: [], usage: { prompt_tokens: 3000, completion_tokens: 800 } });
    const prices = priceTableFromEnv({ OPFORGE_PRICES: '{"qwen2.5-coder:14b": {"input": 1, "output": 4}}' });
    const gate = perRunGate(1, RUN_WORDS);
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, ollama(), { prices, gate, maxAttempts: 1 });
    expect(outcome.attempts[0]).toMatchObject({
      ok: false,
      kind: "provider_error",
      reason: `${OLLAMA}/v1/chat/completions answered without choices`,
      usage: { input: 3000, output: 800, cacheRead: 0, cacheWrite: 0 },
    });
    // 3 000 × $1 + 800 × $4 per million
    expect(outcome.attempts[0]?.costUsd).toBeCloseTo(0.0062, 10);
    expect(gate.spentUsd()).toBeCloseTo(0.0062, 10);
  });

  it("a failed try that reports usage is charged with the try that succeeds after it", async () => {
    // A gateway that bills an interrupted generation says so in its error body.
    nock(OLLAMA)
      .post("/v1/chat/completions")
      .reply(502, { error: { message: "upstream closed the stream" }, usage: { prompt_tokens: 3000, completion_tokens: 500 } })
      .post("/v1/chat/completions")
      .reply(200, { model: "qwen2.5-coder:14b", choices: [{ message: { content: reply("weather-labeled.md") }, finish_reason: "stop" }], usage: { prompt_tokens: 3000, completion_tokens: 900 } });
    const provider = openAiCompatibleProvider({ baseURL: `${OLLAMA}/v1`, model: "qwen2.5-coder:14b", maxRetries: 1, sleep: async () => undefined });
    const prices = priceTableFromEnv({ OPFORGE_PRICES: '{"qwen2.5-coder:14b": {"input": 1, "output": 4}}' });
    const gate = perRunGate(1, RUN_WORDS);
    const outcome = await runAttempts(weatherSpec(), { learned: [] }, provider, { prices, gate, maxAttempts: 1 });
    expect(outcome.attempts[0]).toMatchObject({ ok: true, usage: { input: 6000, output: 1400, cacheRead: 0, cacheWrite: 0 } });
    // 6 000 × $1 + 1 400 × $4 per million
    expect(gate.spentUsd()).toBeCloseTo(0.0116, 10);
  });

  for (const kind of backendKinds) {
    it(`two jobs at once on one database cannot both reserve past the limit: only one call is made [${kind}]`, async () => {
      // On PostgreSQL the two reservations run on two pooled connections, as two worker processes do; on SQLite
      // they share the process's one connection (another process would wait on the file's write lock).
      const backend = await openBackend(kind);
      try {
        const config = repoConfigSchema.parse({ budget_usd: 0.15 });
        let calls = 0;
        nock(API)
          .post("/v1/messages", () => {
            calls += 1;
            return true;
          })
          .delay(50)
          .reply(200, message(reply("weather-labeled.md")));
        const now = () => Date.UTC(2026, 11, 2, 10);
        const [a, b] = await Promise.all([
          runAttempts(weatherSpec(), { learned: [] }, anthropic(), { prices: DEFAULT_PRICES, maxAttempts: 1, gate: installationGate(backend.kysely, 4242, config, now) }),
          runAttempts(weatherSpec(), { learned: [] }, anthropic(), { prices: DEFAULT_PRICES, maxAttempts: 1, gate: installationGate(backend.kysely, 4242, config, now) }),
        ]);
        expect(calls).toBe(1);
        expect([a.ok, b.ok].sort()).toEqual([false, true]);
        expect((a.ok ? b : a).refused?.reason).toContain(
          `of the $0.1500 limit $0.0000 is spent and $${WORST_CASE.toFixed(4)} is reserved by calls in flight, leaving $${(0.15 - WORST_CASE).toFixed(4)}. The call was not made; raise \`budget_usd\` in .github/opforge.yml, or wait for next month.`,
        );
        // Both holds are gone once the calls are over: nothing stays reserved.
        expect(await backend.kysely.selectFrom("spend_reservations").selectAll().execute()).toEqual([]);
      } finally {
        await backend.close();
      }
    });
  }

  it("budget_usd: none turns the limit off; other words are refused with what is valid", () => {
    expect(installationGate(kyselyOverStore(openDatabase(":memory:")), 1, repoConfigSchema.parse({ budget_usd: "none" }), Date.now)).toBeUndefined();
    const bad = repoConfigSchema.safeParse({ budget_usd: "unlimited" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe("must be a number of USD (0 or more), or none to turn the budget off");
  });
});

import { readFileSync } from "node:fs";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/generate/generate.js";
import { DEFAULT_PRICES, priceTableFromEnv } from "../../src/generate/prices.js";
import { openAiCompatibleProvider } from "../../src/generate/providers/openai-compatible.js";
import { weatherSpec } from "./helpers.js";
import { useNock } from "../support/nock.js";

const BASE = "http://localhost:11434";
const reply = (name: string): string => readFileSync(new URL(`../fixtures/replies/${name}`, import.meta.url), "utf8");

/** A chat completion as Ollama / vLLM / OpenAI send it. */
function completion(content: string, opts: { finish?: string; usage?: Record<string, unknown> } = {}) {
  return {
    id: "chatcmpl-712",
    object: "chat.completion",
    created: 1764030000,
    model: "qwen2.5-coder:14b",
    system_fingerprint: "fp_ollama",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: opts.finish ?? "stop" }],
    usage: { prompt_tokens: 3100, completion_tokens: 1900, total_tokens: 5000, ...opts.usage },
  };
}

function makeProvider(opts: { apiKey?: string; maxRetries?: number; timeoutMs?: number } = {}) {
  const waits: number[] = [];
  const provider = openAiCompatibleProvider({
    baseURL: `${BASE}/v1`,
    model: "qwen2.5-coder:14b",
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...opts,
  });
  return { provider, waits };
}

useNock();

describe("openai-compatible provider", () => {
  it("posts system and user messages with model and max_tokens, without auth when no key is set", async () => {
    let body: Record<string, unknown> = {};
    let auth: string | undefined = "unset";
    nock(BASE)
      .post("/v1/chat/completions", (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(function () {
        auth = this.req.headers.authorization as string | undefined;
        return [200, completion(reply("weather-labeled.md"))];
      });
    const { provider } = makeProvider();
    const result = await generate(weatherSpec(), { learned: [] }, provider, { prices: DEFAULT_PRICES });
    expect(auth).toBeUndefined();
    expect(body.model).toBe("qwen2.5-coder:14b");
    expect(body.max_tokens).toBe(8192);
    const messages = body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(messages[0]?.content).toContain("# Reply format (exactly this)");
    expect(messages[0]?.content).toContain("# Target: Airflow 2.9+ and 3.x");
    expect(messages[1]?.content).toContain("# Component spec: WeatherFetchOperator");
    expect(result).toMatchObject({
      ok: true,
      provider: "openai-compatible",
      model: "qwen2.5-coder:14b",
      usage: { input: 3100, output: 1900, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0,
      priceKnown: false,
    });
  });

  it("sends the key as a Bearer token and prices the model from OPFORGE_PRICES, counting cached tokens", async () => {
    nock(BASE, { reqheaders: { authorization: "Bearer local-key" } })
      .post("/v1/chat/completions")
      .reply(200, completion(reply("weather-labeled.md"), { usage: { prompt_tokens_details: { cached_tokens: 1000 } } }));
    const { provider } = makeProvider({ apiKey: "local-key" });
    const prices = priceTableFromEnv({ OPFORGE_PRICES: '{"qwen2.5-coder:14b": {"input": 1, "output": 2}}' });
    const result = await generate(weatherSpec(), { learned: [] }, provider, { prices });
    expect(result.usage).toEqual({ input: 2100, output: 1900, cacheRead: 1000, cacheWrite: 0 });
    // 2100 × 1 + 1900 × 2 + 1000 × 0.1, per million
    expect(result.costUsd).toBeCloseTo(0.006, 10);
    expect(result.priceKnown).toBe(true);
  });

  it("retries a 429 after the server's retry-after, then succeeds", async () => {
    nock(BASE)
      .post("/v1/chat/completions")
      .reply(429, { error: { message: "Rate limit reached", type: "rate_limit_error" } }, { "retry-after": "3" })
      .post("/v1/chat/completions")
      .reply(200, completion(reply("weather-labeled.md")));
    const { provider, waits } = makeProvider();
    const result = await generate(weatherSpec(), { learned: [] }, provider, { prices: DEFAULT_PRICES });
    expect(result.ok).toBe(true);
    expect(waits).toEqual([3000]);
  });

  it("backs off exponentially on 5xx and reports the last error after the retries", async () => {
    nock(BASE).post("/v1/chat/completions").times(3).reply(503, { error: "model is loading" });
    const { provider, waits } = makeProvider();
    const result = await generate(weatherSpec(), { learned: [] }, provider, { prices: DEFAULT_PRICES });
    expect(waits).toEqual([500, 1000]);
    expect(result).toMatchObject({
      ok: false,
      kind: "provider_error",
      retryable: true,
      reason: `${BASE}/v1/chat/completions returned 503: model is loading (after 3 tries)`,
    });
  });

  it("does not retry a 404 for an unknown model", async () => {
    nock(BASE)
      .post("/v1/chat/completions")
      .reply(404, { error: { message: 'model "qwen2.5-coder:14b" not found, try pulling it first', type: "api_error" } });
    const { provider, waits } = makeProvider();
    const result = await generate(weatherSpec(), { learned: [] }, provider, { prices: DEFAULT_PRICES });
    expect(waits).toEqual([]);
    expect(result).toMatchObject({
      ok: false,
      kind: "provider_error",
      retryable: false,
      reason: `${BASE}/v1/chat/completions returned 404: model "qwen2.5-coder:14b" not found, try pulling it first`,
    });
  });

  it("records finish_reason length as a truncated reply", async () => {
    nock(BASE)
      .post("/v1/chat/completions")
      .reply(200, completion(reply("weather-truncated.md"), { finish: "length", usage: { completion_tokens: 8192 } }));
    const { provider } = makeProvider();
    const result = await generate(weatherSpec(), { learned: [] }, provider, { prices: DEFAULT_PRICES });
    expect(result).toMatchObject({ ok: false, kind: "truncated", usage: { output: 8192 } });
  });

  it("times out a request that does not answer", async () => {
    nock(BASE).post("/v1/chat/completions").delay(500).reply(200, completion("late"));
    const { provider } = makeProvider({ timeoutMs: 50, maxRetries: 0 });
    const result = await generate(weatherSpec(), { learned: [] }, provider, { prices: DEFAULT_PRICES });
    expect(result).toMatchObject({
      ok: false,
      kind: "provider_error",
      reason: `${BASE}/v1/chat/completions did not answer within 50 ms`,
    });
  });

  it("needs a base URL and a model, naming the settings", () => {
    expect(() => openAiCompatibleProvider({ baseURL: undefined, model: "m" })).toThrow(/set OPFORGE_OPENAI_BASE_URL/);
    expect(() => openAiCompatibleProvider({ baseURL: `${BASE}/v1`, model: undefined })).toThrow(/--model or set OPFORGE_MODEL/);
  });
});

import { readFileSync } from "node:fs";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/generate/generate.js";
import { DEFAULT_PRICES } from "../../src/generate/prices.js";
import { anthropicProvider } from "../../src/generate/providers/anthropic.js";
import { ProviderConfigError } from "../../src/generate/providers/errors.js";
import { STATIC_SYSTEM_TEXT } from "../../src/generate/prompt/index.js";
import { weatherSpec } from "./helpers.js";
import { useNock } from "../support/nock.js";

const API = "https://api.anthropic.com";
const reply = (name: string): string => readFileSync(new URL(`../fixtures/replies/${name}`, import.meta.url), "utf8");

/** A Messages API response as the API sends it. */
function message(text: string, opts: { stop?: string; usage?: Partial<Record<string, number>> } = {}) {
  return {
    id: "msg_01XFDUDYJgAACzvnptvVoYEL",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-5-5",
    content: [{ type: "text", text }],
    stop_reason: opts.stop ?? "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 1240,
      output_tokens: 2100,
      cache_creation_input_tokens: 1800,
      cache_read_input_tokens: 0,
      ...opts.usage,
    },
  };
}

function apiError(type: string, msg: string) {
  return { type: "error", error: { type, message: msg }, request_id: "req_011CSHoEeqs5C35K2UUqR7Fy" };
}

const provider = (maxRetries = 2) =>
  anthropicProvider({ apiKey: "sk-ant-test-key", baseURL: API, maxRetries, timeoutMs: 5000 });
let clock = 0;
const now = () => (clock += 250);

useNock();

describe("anthropic provider", () => {
  it("sends the cached system blocks, model, max_tokens and Bearer auth; records usage and cost", async () => {
    let body: Record<string, unknown> = {};
    const scope = nock(API, {
      reqheaders: {
        authorization: "Bearer sk-ant-test-key",
        "anthropic-version": /^\d{4}-\d{2}-\d{2}$/,
        "content-type": /application\/json/,
      },
    })
      .post("/v1/messages", (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(200, message(reply("weather-labeled.md")), { "request-id": "req_1" });

    const result = await generate(weatherSpec(), { learned: [] }, provider(), { now, prices: DEFAULT_PRICES });
    expect(scope.isDone()).toBe(true);

    expect(body.model).toBe("claude-sonnet-5-5");
    expect(body.max_tokens).toBe(8192);
    const system = body.system as { type: string; text: string; cache_control?: unknown }[];
    expect(system[0]).toEqual({ type: "text", text: STATIC_SYSTEM_TEXT, cache_control: { type: "ephemeral" } });
    expect(system[1]?.cache_control).toEqual({ type: "ephemeral" });
    const messages = body.messages as { role: string; content: string }[];
    expect(messages).toHaveLength(1);
    expect(messages[0]?.role).toBe("user");
    expect(messages[0]?.content).toContain("# Component spec: WeatherFetchOperator");

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.provider).toBe("anthropic");
    expect(result.model).toBe("claude-sonnet-5-5");
    expect(result.scaffold).toBe(false);
    expect(result.usage).toEqual({ input: 1240, output: 2100, cacheRead: 0, cacheWrite: 1800 });
    // 1240 × $2 + 2100 × $10 + 1800 × $2.5, per million
    expect(result.costUsd).toBeCloseTo(0.02798, 10);
    expect(result.priceKnown).toBe(true);
    expect(result.durationMs).toBe(250);
    expect(result.files.map((f) => f.path)).toEqual([
      "weather_fetch_operator.py",
      "test_weather_fetch_operator.py",
      "weather_fetch_operator_example_dag.py",
    ]);
    expect(result.filledFromScaffold).toEqual([]);
  });

  it("retries a 529 overloaded_error through the SDK and then succeeds", async () => {
    const scope = nock(API)
      .post("/v1/messages")
      .reply(529, apiError("overloaded_error", "Overloaded"))
      .post("/v1/messages")
      .reply(200, message(reply("weather-labeled.md"), { usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 1800 } }));
    const result = await generate(weatherSpec(), { learned: [] }, provider(), { prices: DEFAULT_PRICES });
    expect(scope.isDone()).toBe(true);
    expect(result.ok).toBe(true);
    expect(result.usage.cacheRead).toBe(1800);
    expect(result.costUsd).toBeCloseTo((1240 * 2 + 2100 * 10 + 1800 * 0.2) / 1e6, 10);
  });

  it("turns a 401 authentication_error into a provider_error without retrying", async () => {
    const scope = nock(API).post("/v1/messages").reply(401, apiError("authentication_error", "invalid x-api-key"), {
      "request-id": "req_401",
    });
    const result = await generate(weatherSpec(), { learned: [] }, provider(), { prices: DEFAULT_PRICES });
    expect(scope.isDone()).toBe(true);
    expect(result).toMatchObject({
      ok: false,
      kind: "provider_error",
      reason: "Anthropic API returned 401 authentication_error: invalid x-api-key (request id req_401)",
      retryable: false,
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0,
      provider: "anthropic",
      model: "claude-sonnet-5-5",
    });
  });

  it("reports a 400 invalid_request_error with the API's message", async () => {
    nock(API)
      .post("/v1/messages")
      .reply(400, apiError("invalid_request_error", "max_tokens: 999999 > 64000, which is the maximum"), { "request-id": "req_400" });
    const result = await generate(weatherSpec(), { learned: [], maxTokens: 999999 }, provider(), { prices: DEFAULT_PRICES });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(
      "Anthropic API returned 400 invalid_request_error: max_tokens: 999999 > 64000, which is the maximum (request id req_400)",
    );
    expect(nock.isDone()).toBe(true);
  });

  it("gives up after the configured retries on 500 and says so as a retryable provider_error", async () => {
    const scope = nock(API).post("/v1/messages").times(2).reply(500, apiError("api_error", "Internal server error"), { "request-id": "req_500" });
    const result = await generate(weatherSpec(), { learned: [] }, provider(1), { prices: DEFAULT_PRICES });
    expect(scope.isDone()).toBe(true);
    expect(result).toMatchObject({
      ok: false,
      kind: "provider_error",
      retryable: true,
      reason: "Anthropic API returned 500 api_error: Internal server error (request id req_500)",
    });
  });

  it("records a max_tokens reply as truncated, with its usage and cost", async () => {
    nock(API)
      .post("/v1/messages")
      .reply(200, message(reply("weather-truncated.md"), { stop: "max_tokens", usage: { output_tokens: 8192 } }));
    const result = await generate(weatherSpec(), { learned: [] }, provider(), { prices: DEFAULT_PRICES });
    expect(nock.isDone()).toBe(true);
    expect(result).toMatchObject({ ok: false, kind: "truncated", retryable: true, usage: { output: 8192 } });
    if (result.ok) return;
    expect(result.costUsd).toBeCloseTo((1240 * 2 + 8192 * 10 + 1800 * 2.5) / 1e6, 10);
    expect(result.rawReplyExcerpt).toContain("class WeatherFetchOperator");
  });

  it("refuses to start without a key and names ANTHROPIC_API_KEY", () => {
    expect(() => anthropicProvider({ apiKey: undefined })).toThrow(ProviderConfigError);
    expect(() => anthropicProvider({ apiKey: "" })).toThrow(/set ANTHROPIC_API_KEY/);
  });
});

import { describe, expect, it } from "vitest";
import { providerFromEnv } from "../../src/generate/providers/index.js";

describe("providerFromEnv", () => {
  it("falls back to the scaffold when nothing is configured", () => {
    const p = providerFromEnv({});
    expect([p.name, p.model]).toEqual(["scaffold", "scaffold"]);
  });

  it("picks anthropic when ANTHROPIC_API_KEY is set, with the default or configured model", () => {
    expect(providerFromEnv({ ANTHROPIC_API_KEY: "k", OPFORGE_OPENAI_BASE_URL: "http://x/v1" })).toMatchObject({
      name: "anthropic",
      model: "claude-sonnet-5-5",
    });
    expect(providerFromEnv({ ANTHROPIC_API_KEY: "k", OPFORGE_MODEL: "claude-haiku-4-5" }).model).toBe("claude-haiku-4-5");
    expect(providerFromEnv({ ANTHROPIC_API_KEY: "k", OPFORGE_MODEL: "claude-haiku-4-5" }, { model: "claude-opus-5-5" }).model).toBe(
      "claude-opus-5-5",
    );
  });

  it("picks openai-compatible when only its base URL is set", () => {
    expect(providerFromEnv({ OPFORGE_OPENAI_BASE_URL: "http://localhost:11434/v1", OPFORGE_MODEL: "llama3.1" })).toMatchObject({
      name: "openai-compatible",
      model: "llama3.1",
    });
  });

  it("lets --provider and OPFORGE_PROVIDER win over the keys present", () => {
    expect(providerFromEnv({ ANTHROPIC_API_KEY: "k" }, { provider: "scaffold" }).name).toBe("scaffold");
    expect(providerFromEnv({ ANTHROPIC_API_KEY: "k", OPFORGE_PROVIDER: "scaffold" }).name).toBe("scaffold");
    expect(() => providerFromEnv({ OPFORGE_PROVIDER: "scaffold" }, { provider: "anthropic" })).toThrow(/ANTHROPIC_API_KEY/);
  });

  it("explains an explicit choice that lacks its settings", () => {
    expect(() => providerFromEnv({}, { provider: "anthropic" })).toThrow(/set ANTHROPIC_API_KEY/);
    expect(() => providerFromEnv({ OPFORGE_PROVIDER: "openai-compatible" })).toThrow(/set OPFORGE_OPENAI_BASE_URL/);
  });

  it("rejects an unknown provider, listing the valid ones", () => {
    expect(() => providerFromEnv({}, { provider: "gemini" })).toThrow(
      'unknown provider "gemini": valid providers are anthropic, openai-compatible, scaffold',
    );
  });

  it("names a malformed retry or timeout setting", () => {
    expect(() => providerFromEnv({ ANTHROPIC_API_KEY: "k", OPFORGE_MODEL_MAX_RETRIES: "many" })).toThrow(
      'OPFORGE_MODEL_MAX_RETRIES must be an integer ≥ 0, got "many"',
    );
  });
});

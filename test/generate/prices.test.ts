import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, costOf, findPrice, priceTableFromEnv } from "../../src/generate/prices.js";

describe("prices", () => {
  it("holds the published prices with cache read at 0.1× and cache write at 1.25× input", () => {
    expect(DEFAULT_PRICES["claude-sonnet-5-5"]).toEqual({ input: 2, output: 10, cacheRead: 0.2, cacheWrite: 2.5 });
    expect(DEFAULT_PRICES["claude-opus-5-5"]).toEqual({ input: 4, output: 20, cacheRead: 0.4, cacheWrite: 5 });
    expect(DEFAULT_PRICES["claude-haiku-4-5"]).toEqual({ input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 });
  });

  it("computes cost from all four token counts", () => {
    const cost = costOf({ input: 1_000_000, output: 100_000, cacheRead: 2_000_000, cacheWrite: 400_000 }, "claude-sonnet-5-5", DEFAULT_PRICES);
    // 2 + 1 + 0.4 + 1
    expect(cost.known).toBe(true);
    expect(cost.usd).toBeCloseTo(4.4, 10);
  });

  it("matches dated model ids by prefix and prices unknown models at 0 with a flag", () => {
    expect(findPrice("claude-haiku-4-5-20251001", DEFAULT_PRICES)).toBe(DEFAULT_PRICES["claude-haiku-4-5"]);
    expect(costOf({ input: 5000, output: 5000, cacheRead: 0, cacheWrite: 0 }, "llama3.1:8b", DEFAULT_PRICES)).toEqual({ usd: 0, known: false });
    expect(findPrice("claude-sonnet-5-50", DEFAULT_PRICES)).toBeUndefined();
  });

  it("applies OPFORGE_PRICES: new models, partial changes, derived cache prices", () => {
    const table = priceTableFromEnv({
      OPFORGE_PRICES: JSON.stringify({
        "qwen2.5-coder:14b": { input: 0.5, output: 1 },
        "claude-sonnet-5-5": { output: 12 },
        "claude-opus-5-5": { input: 3, cacheRead: 0.5 },
      }),
    });
    expect(table["qwen2.5-coder:14b"]).toEqual({ input: 0.5, output: 1, cacheRead: 0.05, cacheWrite: 0.625 });
    expect(table["claude-sonnet-5-5"]).toEqual({ input: 2, output: 12, cacheRead: 0.2, cacheWrite: 2.5 });
    expect(table["claude-opus-5-5"]).toEqual({ input: 3, output: 20, cacheRead: 0.5, cacheWrite: 3.75 });
    expect(costOf({ input: 2_000_000, output: 0, cacheRead: 0, cacheWrite: 0 }, "qwen2.5-coder:14b", table)).toEqual({ usd: 1, known: true });
  });

  it("names the variable and the field when OPFORGE_PRICES is wrong", () => {
    expect(() => priceTableFromEnv({ OPFORGE_PRICES: "{not json" })).toThrow(/^OPFORGE_PRICES is not valid JSON/);
    expect(() => priceTableFromEnv({ OPFORGE_PRICES: '{"m": {"input": -1, "output": 2}}' })).toThrow(
      'OPFORGE_PRICES: "m".input must be a non-negative number of USD per million tokens, got -1',
    );
    expect(() => priceTableFromEnv({ OPFORGE_PRICES: '{"m": {"input": 1}}' })).toThrow('OPFORGE_PRICES: "m" needs both "input" and "output"');
    expect(() => priceTableFromEnv({ OPFORGE_PRICES: '{"m": {"inputs": 1, "output": 1}}' })).toThrow(/"m".inputs is not a price field/);
    expect(() => priceTableFromEnv({ OPFORGE_PRICES: "[1]" })).toThrow(/must be a JSON object/);
  });
});

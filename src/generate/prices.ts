import type { TokenUsage } from "./types.js";

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export type PriceTable = Record<string, ModelPrice>;

// Cache reads cost a tenth of input; writes with the 5-minute ttl cost 1.25× input.
const CACHE_READ_FACTOR = 0.1;
const CACHE_WRITE_FACTOR = 1.25;

function price(input: number, output: number): ModelPrice {
  return { input, output, cacheRead: input * CACHE_READ_FACTOR, cacheWrite: input * CACHE_WRITE_FACTOR };
}

/** The one place model prices live. Ids match exactly or as a prefix of a dated id (`claude-haiku-4-5-20251001`). */
export const DEFAULT_PRICES: PriceTable = {
  "claude-sonnet-5-5": price(2, 10),
  "claude-opus-5-5": price(4, 20),
  "claude-haiku-4-5": price(1, 5),
};

export class PriceConfigError extends Error {
  override name = "PriceConfigError";
}

function readNumber(entry: Record<string, unknown>, key: string, model: string): number | undefined {
  const value = entry[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new PriceConfigError(
      `OPFORGE_PRICES: "${model}".${key} must be a non-negative number of USD per million tokens, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The default table with `OPFORGE_PRICES` applied, e.g. `{"my-model": {"input": 0.5, "output": 1.5}}`.
 * Missing cache prices follow the input price (×0.1 read, ×1.25 write); an entry for a known model may
 * change only some fields.
 */
export function priceTableFromEnv(env: NodeJS.ProcessEnv): PriceTable {
  const raw = env.OPFORGE_PRICES;
  if (raw === undefined || raw.trim() === "") return { ...DEFAULT_PRICES };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new PriceConfigError(`OPFORGE_PRICES is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new PriceConfigError('OPFORGE_PRICES must be a JSON object of model id → {"input": n, "output": n, ...}');
  }
  const table: PriceTable = { ...DEFAULT_PRICES };
  for (const [model, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new PriceConfigError(`OPFORGE_PRICES: "${model}" must be an object with input/output prices`);
    }
    const entry = value as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!["input", "output", "cacheRead", "cacheWrite"].includes(key)) {
        throw new PriceConfigError(
          `OPFORGE_PRICES: "${model}".${key} is not a price field (valid: input, output, cacheRead, cacheWrite)`,
        );
      }
    }
    const base = table[model];
    const input = readNumber(entry, "input", model) ?? base?.input;
    const output = readNumber(entry, "output", model) ?? base?.output;
    if (input === undefined || output === undefined) {
      throw new PriceConfigError(`OPFORGE_PRICES: "${model}" needs both "input" and "output"`);
    }
    const inputChanged = entry.input !== undefined;
    table[model] = {
      input,
      output,
      cacheRead:
        readNumber(entry, "cacheRead", model) ??
        (base && !inputChanged ? base.cacheRead : input * CACHE_READ_FACTOR),
      cacheWrite:
        readNumber(entry, "cacheWrite", model) ??
        (base && !inputChanged ? base.cacheWrite : input * CACHE_WRITE_FACTOR),
    };
  }
  return table;
}

/** The price of a model: an exact id first, then the longest table id that the model id starts with. */
export function findPrice(model: string, table: PriceTable): ModelPrice | undefined {
  const exact = table[model];
  if (exact) return exact;
  let best: string | undefined;
  for (const id of Object.keys(table)) {
    if (model.startsWith(`${id}-`) && (best === undefined || id.length > best.length)) best = id;
  }
  return best === undefined ? undefined : table[best];
}

export interface Cost {
  usd: number;
  /** False when the model is not in the table; `usd` is then 0. */
  known: boolean;
}

export function costOf(usage: TokenUsage, model: string, table: PriceTable): Cost {
  const p = findPrice(model, table);
  if (!p) return { usd: 0, known: false };
  const usd =
    (usage.input * p.input + usage.output * p.output + usage.cacheRead * p.cacheRead + usage.cacheWrite * p.cacheWrite) /
    1_000_000;
  return { usd, known: true };
}

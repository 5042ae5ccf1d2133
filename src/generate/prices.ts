import { z } from "zod";
import type { Prompt, TokenUsage } from "./types.js";
import { estimateTokens } from "./prompt/user.js";

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

const PRICE_FIELDS = ["input", "output", "cacheRead", "cacheWrite"] as const;

const usdPerMillion = z.number().finite().min(0);

// Parsed where the variable enters; each problem is turned into one message naming the model and the field.
const overridesSchema = z.record(
  z.string(),
  z
    .object({
      input: usdPerMillion.optional(),
      output: usdPerMillion.optional(),
      cacheRead: usdPerMillion.optional(),
      cacheWrite: usdPerMillion.optional(),
    })
    .strict(),
);

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const [model, field] = issue.path;
  if (model === undefined) return 'OPFORGE_PRICES must be a JSON object of model id → {"input": n, "output": n, ...}';
  const name = JSON.stringify(String(model));
  if (issue.code === "unrecognized_keys") {
    return `OPFORGE_PRICES: ${name}.${issue.keys.join(", ")} is not a price field (valid: ${PRICE_FIELDS.join(", ")})`;
  }
  if (field === undefined) return `OPFORGE_PRICES: ${name} must be an object with input/output prices`;
  return `OPFORGE_PRICES: ${name}.${String(field)} must be a non-negative number of USD per million tokens, got ${JSON.stringify(valueAt(root, issue.path)) ?? "nothing"}`;
}

/**
 * The default table with `OPFORGE_PRICES` applied, e.g. `{"my-model": {"input": 0.5, "output": 1.5}}`.
 * Missing cache prices follow the input price (×0.1 read, ×1.25 write); an entry for a known model may
 * change only some fields. A price of 0 is allowed: a local model costs nothing and is then budgeted as such.
 */
export function priceTableFromEnv(env: NodeJS.ProcessEnv): PriceTable {
  const raw = env.OPFORGE_PRICES;
  if (raw === undefined || raw.trim() === "") return { ...DEFAULT_PRICES };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new PriceConfigError(`OPFORGE_PRICES is not valid JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new PriceConfigError('OPFORGE_PRICES must be a JSON object of model id → {"input": n, "output": n, ...}');
  }
  const parsed = overridesSchema.safeParse(json);
  if (!parsed.success) {
    throw new PriceConfigError(parsed.error.issues.map((issue) => describeIssue(issue, json)).join("; "));
  }
  const table: PriceTable = { ...DEFAULT_PRICES };
  for (const [model, entry] of Object.entries(parsed.data)) {
    const base = table[model];
    const input = entry.input ?? base?.input;
    const output = entry.output ?? base?.output;
    if (input === undefined || output === undefined) {
      throw new PriceConfigError(`OPFORGE_PRICES: "${model}" needs both "input" and "output"`);
    }
    const inputChanged = entry.input !== undefined;
    table[model] = {
      input,
      output,
      cacheRead: entry.cacheRead ?? (base && !inputChanged ? base.cacheRead : input * CACHE_READ_FACTOR),
      cacheWrite: entry.cacheWrite ?? (base && !inputChanged ? base.cacheWrite : input * CACHE_WRITE_FACTOR),
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

/**
 * The most one call can cost: the prompt's estimated tokens, all at the dearest input rate (a cache write),
 * plus every output token `max_tokens` allows. What the budget holds before the call is made.
 */
export function worstCaseCostUsd(prompt: Prompt, price: ModelPrice): number {
  const promptTokens = estimateTokens([...prompt.system.map((b) => b.text), prompt.user].join("\n\n"));
  const inputRate = Math.max(price.input, price.cacheWrite, price.cacheRead);
  return (promptTokens * inputRate + prompt.maxTokens * price.output) / 1_000_000;
}

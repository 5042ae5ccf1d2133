import type { ModelProvider, ProviderName } from "../types.js";
import { DEFAULT_ANTHROPIC_BASE_URL, anthropicProvider } from "./anthropic.js";
import { ProviderConfigError } from "./errors.js";
import { openAiCompatibleProvider } from "./openai-compatible.js";
import { scaffoldProvider } from "./scaffold.js";

export { anthropicProvider, DEFAULT_ANTHROPIC_MODEL } from "./anthropic.js";
export type { AnthropicProviderOptions } from "./anthropic.js";
export { openAiCompatibleProvider } from "./openai-compatible.js";
export type { OpenAiCompatibleOptions } from "./openai-compatible.js";
export { scaffoldProvider } from "./scaffold.js";
export { ProviderConfigError, ProviderError } from "./errors.js";

export const PROVIDER_NAMES: readonly ProviderName[] = ["anthropic", "openai-compatible", "scaffold"];

export interface ProviderOverrides {
  provider?: string;
  model?: string;
  /** Passed to the openai-compatible provider, so tests and callers control backoff waits. */
  sleep?: (ms: number) => Promise<void>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ProviderConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

/**
 * The provider to use: `--provider` / `OPFORGE_PROVIDER` when given; else anthropic when ANTHROPIC_API_KEY
 * is set; else openai-compatible when OPFORGE_OPENAI_BASE_URL is set; else the scaffold. The model comes
 * from `--model` / `OPFORGE_MODEL`. Also read: ANTHROPIC_BASE_URL, OPFORGE_OPENAI_API_KEY,
 * OPFORGE_MODEL_MAX_RETRIES, OPFORGE_MODEL_TIMEOUT_MS. Throws ProviderConfigError on bad settings.
 */
export function providerFromEnv(env: NodeJS.ProcessEnv, overrides: ProviderOverrides = {}): ModelProvider {
  const explicit = nonEmpty(overrides.provider) ?? nonEmpty(env.OPFORGE_PROVIDER);
  const anthropicKey = nonEmpty(env.ANTHROPIC_API_KEY);
  const openAiBase = nonEmpty(env.OPFORGE_OPENAI_BASE_URL);
  const name = explicit ?? (anthropicKey ? "anthropic" : openAiBase ? "openai-compatible" : "scaffold");
  const model = nonEmpty(overrides.model) ?? nonEmpty(env.OPFORGE_MODEL);
  const maxRetries = intFromEnv(env, "OPFORGE_MODEL_MAX_RETRIES", 0);
  const timeoutMs = intFromEnv(env, "OPFORGE_MODEL_TIMEOUT_MS", 1);
  switch (name) {
    case "anthropic":
      return anthropicProvider({
        apiKey: anthropicKey,
        model,
        baseURL: nonEmpty(env.ANTHROPIC_BASE_URL) ?? DEFAULT_ANTHROPIC_BASE_URL,
        maxRetries,
        timeoutMs,
      });
    case "openai-compatible":
      return openAiCompatibleProvider({
        baseURL: openAiBase,
        apiKey: nonEmpty(env.OPFORGE_OPENAI_API_KEY),
        model,
        maxRetries,
        timeoutMs,
        sleep: overrides.sleep,
      });
    case "scaffold":
      return scaffoldProvider();
    default:
      throw new ProviderConfigError(`unknown provider "${name}": valid providers are ${PROVIDER_NAMES.join(", ")}`);
  }
}

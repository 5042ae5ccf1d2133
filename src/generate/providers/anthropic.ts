import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { registerSecret } from "../../config/redact.js";
import type { ComponentSpec } from "../../spec/types.js";
import type { ModelProvider, ModelReply, Prompt, TokenUsage } from "../types.js";
import { ProviderConfigError, ProviderError, isRetryableStatus } from "./errors.js";

export const DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-5-5";
export const DEFAULT_ANTHROPIC_BASE_URL = "https://api.anthropic.com";

export interface AnthropicProviderOptions {
  apiKey: string | undefined;
  model?: string;
  baseURL?: string;
  /** Retries of 408/409/429/5xx/529 done by the SDK (with its backoff and `retry-after`). Default 2. */
  maxRetries?: number;
  /** Per request, in milliseconds. Default 120 000. */
  timeoutMs?: number;
}

/** Messages-API usage in an error body, when the endpoint (a gateway, a proxy) reports what a failed call used. */
function usageOf(body: unknown): TokenUsage | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const usage = (body as { usage?: unknown }).usage;
  if (usage === null || typeof usage !== "object") return undefined;
  const u = usage as Record<string, unknown>;
  const count = (key: string): number => (typeof u[key] === "number" && Number.isFinite(u[key]) ? u[key] : 0);
  if (typeof u.input_tokens !== "number" && typeof u.output_tokens !== "number") return undefined;
  return {
    input: count("input_tokens"),
    output: count("output_tokens"),
    cacheRead: count("cache_read_input_tokens"),
    cacheWrite: count("cache_creation_input_tokens"),
  };
}

function describeApiError(error: APIError, baseURL: string, timeoutMs: number): ProviderError {
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderError(`Anthropic API request timed out after ${timeoutMs} ms`, undefined, true);
  }
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return new ProviderError(`could not reach the Anthropic API at ${baseURL}${cause}`, undefined, true);
  }
  const type = error.type ? ` ${error.type}` : "";
  const message = error.apiMessage ?? error.message;
  const requestId = error.requestID ? ` (request id ${error.requestID})` : "";
  return new ProviderError(
    `Anthropic API returned ${error.status ?? "an error"}${type}: ${message}${requestId}`,
    error.status,
    isRetryableStatus(error.status),
    usageOf(error.error),
  );
}

export function anthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  if (!options.apiKey) {
    throw new ProviderConfigError(
      "the anthropic provider needs an API key: set ANTHROPIC_API_KEY (or choose --provider scaffold or openai-compatible)",
    );
  }
  registerSecret(options.apiKey);
  const model = options.model ?? DEFAULT_ANTHROPIC_MODEL;
  const baseURL = options.baseURL ?? DEFAULT_ANTHROPIC_BASE_URL;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL,
    maxRetries: options.maxRetries ?? 2,
    timeout: timeoutMs,
  });

  return {
    name: "anthropic",
    model,
    async complete(prompt: Prompt, _spec: ComponentSpec): Promise<ModelReply> {
      let message: Anthropic.Message;
      try {
        message = await client.messages.create({
          model,
          max_tokens: prompt.maxTokens,
          system: prompt.system.map((block) => ({
            type: "text" as const,
            text: block.text,
            ...(block.cache ? { cache_control: { type: "ephemeral" as const } } : {}),
          })),
          messages: [{ role: "user", content: prompt.user }],
        });
      } catch (error) {
        if (error instanceof APIError) throw describeApiError(error, baseURL, timeoutMs);
        throw error;
      }
      const text = message.content
        .flatMap((block) => (block.type === "text" ? [block.text] : []))
        .join("");
      return {
        text,
        stopReason: message.stop_reason ?? "unknown",
        model: message.model,
        usage: {
          input: message.usage.input_tokens,
          output: message.usage.output_tokens,
          cacheRead: message.usage.cache_read_input_tokens ?? 0,
          cacheWrite: message.usage.cache_creation_input_tokens ?? 0,
        },
      };
    },
  };
}

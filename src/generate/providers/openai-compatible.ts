import { registerSecret } from "../../config/redact.js";
import type { ComponentSpec } from "../../spec/types.js";
import type { ModelProvider, ModelReply, Prompt, TokenUsage } from "../types.js";
import { ProviderConfigError, ProviderError, isRetryableStatus } from "./errors.js";

export interface OpenAiCompatibleOptions {
  /** e.g. `http://localhost:11434/v1` (Ollama), `http://localhost:8000/v1` (vLLM). */
  baseURL: string | undefined;
  apiKey?: string;
  model: string | undefined;
  /** Retries of 408/409/429/5xx and connection failures. Default 2. */
  maxRetries?: number;
  /** Per request, in milliseconds. Default 120 000. */
  timeoutMs?: number;
  /** Injectable so tests do not wait; receives milliseconds. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

function addUsage(a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { input: a.input + b.input, output: a.output + b.output, cacheRead: a.cacheRead + b.cacheRead, cacheWrite: a.cacheWrite + b.cacheWrite };
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ChatCompletion {
  model?: string;
  choices?: { message?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
  };
}

/** Chat-completions usage in opforge's terms: `prompt_tokens` includes the cached ones, `input` does not. */
function toUsage(usage: ChatCompletion["usage"]): TokenUsage {
  const promptTokens = usage?.prompt_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return { input: Math.max(0, promptTokens - cached), output: usage?.completion_tokens ?? 0, cacheRead: cached, cacheWrite: 0 };
}

/** The usage an error body reports (some servers and gateways bill a failed call and say so), if any. */
function usageInBody(body: string): TokenUsage | undefined {
  try {
    const parsed = JSON.parse(body) as { usage?: ChatCompletion["usage"] };
    const usage = parsed.usage;
    if (usage === undefined || usage === null || typeof usage !== "object") return undefined;
    if (typeof usage.prompt_tokens !== "number" && typeof usage.completion_tokens !== "number") return undefined;
    return toUsage(usage);
  } catch {
    return undefined;
  }
}

/** The server's own words from an error body: OpenAI's `{error: {message}}`, Ollama's `{error: "..."}`, or the text. */
function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown };
    const err = parsed.error;
    if (typeof err === "string") return err;
    if (err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string") {
      return (err as { message: string }).message;
    }
    if (typeof parsed.message === "string") return parsed.message;
    if (typeof parsed.detail === "string") return parsed.detail;
  } catch {
    // not JSON: the text itself is the message
  }
  const text = body.trim();
  return text === "" ? "(empty body)" : text.slice(0, 300);
}

/** Delay before retry `n` (0-based): `retry-after` when the server sends one, else 0.5 s doubling up to 8 s. */
function backoffMs(n: number, retryAfter: string | null): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000);
  }
  return Math.min(500 * 2 ** n, 8000);
}

export function openAiCompatibleProvider(options: OpenAiCompatibleOptions): ModelProvider {
  if (!options.baseURL) {
    throw new ProviderConfigError(
      "the openai-compatible provider needs a base URL: set OPFORGE_OPENAI_BASE_URL (e.g. http://localhost:11434/v1)",
    );
  }
  if (!options.model) {
    throw new ProviderConfigError(
      "the openai-compatible provider needs a model name: pass --model or set OPFORGE_MODEL (e.g. qwen2.5-coder:14b)",
    );
  }
  registerSecret(options.apiKey);
  const model = options.model;
  const url = `${options.baseURL.replace(/\/+$/, "")}/chat/completions`;
  const maxRetries = options.maxRetries ?? 2;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const sleep = options.sleep ?? defaultSleep;
  const doFetch = options.fetch ?? fetch;

  /** The completion, and what earlier failed tries of this call reported as used (billed too). */
  async function post(body: string): Promise<{ completion: ChatCompletion; earlier: TokenUsage | undefined }> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    let spent: TokenUsage | undefined;
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let failure: ProviderError;
      let retryAfter: string | null = null;
      try {
        const response = await doFetch(url, { method: "POST", headers, body, signal: controller.signal });
        const text = await response.text();
        if (response.ok) {
          try {
            return { completion: JSON.parse(text) as ChatCompletion, earlier: spent };
          } catch {
            throw new ProviderError(`${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, response.status, false, spent);
          }
        }
        retryAfter = response.headers.get("retry-after");
        failure = new ProviderError(
          `${url} returned ${response.status}: ${errorMessage(text)}`,
          response.status,
          isRetryableStatus(response.status),
          usageInBody(text),
        );
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        failure = controller.signal.aborted
          ? new ProviderError(`${url} did not answer within ${timeoutMs} ms`, undefined, true)
          : new ProviderError(`could not reach ${url}: ${(error as Error).message}`, undefined, true);
      } finally {
        clearTimeout(timer);
      }
      // A retried failure that reported usage is billed too: what each try used adds up.
      spent = addUsage(spent, failure.usage);
      if (!failure.retryable || attempt >= maxRetries) {
        throw attempt > 0
          ? new ProviderError(`${failure.message} (after ${attempt + 1} tries)`, failure.status, failure.retryable, spent)
          : new ProviderError(failure.message, failure.status, failure.retryable, spent);
      }
      await sleep(backoffMs(attempt, retryAfter));
    }
  }

  return {
    name: "openai-compatible",
    model,
    async complete(prompt: Prompt, _spec: ComponentSpec): Promise<ModelReply> {
      const body = JSON.stringify({
        model,
        max_tokens: prompt.maxTokens,
        messages: [
          { role: "system", content: prompt.system.map((b) => b.text).join("\n\n") },
          { role: "user", content: prompt.user },
        ],
      });
      const { completion, earlier } = await post(body);
      const choice = completion.choices?.[0];
      if (!choice) {
        // The tokens were used (and billed) even though no answer came back.
        throw new ProviderError(`${url} answered without choices`, 200, true, addUsage(earlier, completion.usage ? toUsage(completion.usage) : undefined));
      }
      return {
        text: choice.message?.content ?? "",
        stopReason: choice.finish_reason ?? "unknown",
        model: completion.model ?? model,
        usage: addUsage(earlier, toUsage(completion.usage)) ?? toUsage(completion.usage),
      };
    },
  };
}

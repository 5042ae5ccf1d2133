import type { ComponentSpec } from "../spec/types.js";
import { parseReply } from "./parse.js";
import { type PriceTable, costOf, priceTableFromEnv } from "./prices.js";
import { buildPrompt } from "./prompt/index.js";
import { ProviderError } from "./providers/errors.js";
import { renderScaffold } from "./scaffold/index.js";
import type { AttemptResult, GenerationContext, ModelProvider, TokenUsage } from "./types.js";

export interface GenerateOptions {
  now?: () => number;
  /** Defaults to the built-in table with OPFORGE_PRICES from the process environment applied. */
  prices?: PriceTable;
}

const NO_USAGE: TokenUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

function excerpt(text: string, kind: string): string {
  const limit = 600;
  if (text.length <= limit) return text;
  // For a cut-off reply the end shows where it stopped; otherwise the start shows what came back.
  return kind === "truncated" ? `…${text.slice(-limit)}` : `${text.slice(0, limit)}…`;
}

/** One generation attempt: prompt, model call, reply parsing, usage and cost. Failures are values. */
export async function generate(
  spec: ComponentSpec,
  context: GenerationContext,
  provider: ModelProvider,
  options: GenerateOptions = {},
): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  const prices = options.prices ?? priceTableFromEnv(process.env);
  const built = buildPrompt(spec, context);
  const scaffold = provider.name === "scaffold";
  const started = now();

  let reply;
  try {
    reply = await provider.complete(built.prompt, spec);
  } catch (error) {
    const reason =
      error instanceof ProviderError
        ? error.message
        : `${provider.name} provider failed: ${error instanceof Error ? error.message : String(error)}`;
    return {
      ok: false,
      kind: "provider_error",
      reason,
      retryable: error instanceof ProviderError ? error.retryable : false,
      usage: { ...NO_USAGE },
      costUsd: 0,
      priceKnown: scaffold || costOf(NO_USAGE, provider.model, prices).known,
      provider: provider.name,
      model: provider.model,
      durationMs: now() - started,
    };
  }
  const durationMs = now() - started;
  const cost = scaffold ? { usd: 0, known: true } : costOf(reply.usage, reply.model, prices);
  const common = {
    usage: reply.usage,
    costUsd: cost.usd,
    priceKnown: cost.known,
    provider: provider.name,
    model: reply.model,
    durationMs,
  };

  const parsed = parseReply(reply.text, reply.stopReason, spec);
  if (!parsed.ok) {
    return { ok: false, kind: parsed.kind, reason: parsed.reason, retryable: true, rawReplyExcerpt: excerpt(reply.text, parsed.kind), ...common };
  }
  const files = [...parsed.files];
  const notes: string[] = [];
  if (parsed.missing.length > 0) {
    const filled = renderScaffold(spec, built.prompt.target.airflowVersion, built.prompt.target.componentModule, parsed.missing, context.knowledgeBase);
    files.push(...filled);
    notes.push(`the reply had no ${parsed.missing.join(" or ")} block; filled from the scaffold templates`);
  }
  if (built.learnedDropped.length > 0) {
    notes.push(`${built.learnedDropped.length} learned context item(s) did not fit the token budget and were left out`);
  }
  if (built.apiFactsDropped.length > 0) {
    notes.push(`${built.apiFactsDropped.length} Airflow API fact(s) did not fit the token budget and were left out`);
  }
  const order = { component: 0, test: 1, dag: 2 } as const;
  files.sort((a, b) => order[a.role] - order[b.role]);
  return {
    ok: true,
    files,
    learnedUsed: built.learnedUsed,
    learnedDropped: built.learnedDropped,
    apiFacts: built.apiFacts,
    scaffold,
    filledFromScaffold: parsed.missing,
    notes,
    ...common,
  };
}

import type { ComponentSpec } from "../spec/types.js";
import { type SpendGate, type SpendHold, budgetRefusal, unpricedRefusal } from "./budget.js";
import { applyEdits, asksForEdits, parseEdits } from "./edits.js";
import { classNamesIn, parseReply } from "./parse.js";
import { type PriceTable, costOf, findPrice, priceTableFromEnv, worstCaseCostUsd } from "./prices.js";
import { buildPrompt } from "./prompt/index.js";
import { ProviderError } from "./providers/errors.js";
import { renderScaffold } from "./scaffold/index.js";
import type { AttemptResult, FailureKind, FileRole, GeneratedFile, GenerationContext, ModelProvider, ModelReply, ReplyMode, TokenUsage } from "./types.js";

export interface GenerateOptions {
  now?: () => number;
  /** Defaults to the built-in table with OPFORGE_PRICES from the process environment applied. */
  prices?: PriceTable;
  /**
   * The money limit. When given, a model call is made only after the gate holds its worst-case cost, and a
   * model with no price is refused; both refusals throw `SpendRefusedError` before anything is sent. The
   * hold is settled to the call's cost; releasing it is for whoever records that cost (runAttempts does).
   * Without a gate there is no limit. The scaffold costs nothing and never asks.
   */
  gate?: SpendGate;
}

const NO_USAGE: TokenUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

function excerpt(text: string, kind: string): string {
  const limit = 600;
  if (text.length <= limit) return text;
  // For a cut-off reply the end shows where it stopped; otherwise the start shows what came back.
  return kind === "truncated" ? `…${text.slice(-limit)}` : `${text.slice(0, limit)}…`;
}

type ReadReply =
  | { ok: true; files: GeneratedFile[]; missing: FileRole[]; mode: ReplyMode; notes: string[] }
  | { ok: false; kind: FailureKind; reason: string };

/**
 * The files of a reply. A retry that asked for edits applies them to the files it showed; when the reply
 * has no edits, or they cannot be applied, the whole files of the reply are read as on a first attempt.
 */
function readReply(reply: ModelReply, spec: ComponentSpec, context: GenerationContext): ReadReply {
  const cutOff = reply.stopReason === "max_tokens" || reply.stopReason === "length";
  let editProblem: string | undefined;
  if (context.retry !== undefined && asksForEdits(context.retry) && !cutOff) {
    const previous = context.retry.previousFiles;
    const edits = parseEdits(reply.text, previous);
    if (edits.kind === "edits") {
      const applied = applyEdits(previous, edits.edits);
      if (applied.ok) {
        const component = applied.files.find((f) => f.role === "component");
        if (component !== undefined && classNamesIn(component.content).includes(spec.name)) {
          const missing = (["test", "dag"] as const).filter((role) => !applied.files.some((f) => f.role === role));
          const note = `${edits.edits.length} targeted edit(s) applied to ${applied.changed.join(", ")}`;
          return { ok: true, files: applied.files, missing, mode: "edits", notes: [note] };
        }
        editProblem = `after the edits the component module no longer defines class ${spec.name}`;
      } else {
        editProblem = applied.reason;
      }
    } else if (edits.kind === "invalid") {
      editProblem = edits.reason;
    }
  }
  const parsed = parseReply(reply.text, reply.stopReason, spec);
  if (!parsed.ok) {
    if (editProblem !== undefined && parsed.kind === "no_code") {
      return { ok: false, kind: "bad_edit", reason: `the reply's edits could not be applied: ${editProblem}` };
    }
    return parsed;
  }
  const notes = editProblem === undefined ? [] : [`the reply's edits could not be applied (${editProblem}); its whole files were used instead`];
  return { ok: true, files: parsed.files, missing: parsed.missing, mode: "files", notes };
}

/** One generation attempt: prompt, money check, model call, reply parsing, usage and cost. Failures are values. */
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

  let hold: SpendHold | undefined;
  if (options.gate !== undefined && !scaffold) {
    const price = findPrice(provider.model, prices);
    if (price === undefined) throw unpricedRefusal(options.gate, provider.model);
    const estimate = worstCaseCostUsd(built.prompt, price);
    const decision = await options.gate.reserve(estimate);
    if (!decision.ok) throw budgetRefusal(options.gate, provider.model, estimate, decision);
    hold = decision.hold;
  }
  // A dated id in the reply (claude-…-20251001) may be missing from a table that prices the alias asked for.
  const priceOf = (usage: TokenUsage, model: string) => {
    if (scaffold) return { usd: 0, known: true };
    const cost = costOf(usage, model, prices);
    return cost.known || model === provider.model ? cost : costOf(usage, provider.model, prices);
  };
  const started = now();

  let reply;
  try {
    reply = await provider.complete(built.prompt, spec);
  } catch (error) {
    const reason =
      error instanceof ProviderError
        ? error.message
        : `${provider.name} provider failed: ${error instanceof Error ? error.message : String(error)}`;
    // Tokens a failed call reports as used are billed, so they are charged like a reply's.
    const usage = error instanceof ProviderError && error.usage !== undefined ? error.usage : { ...NO_USAGE };
    const cost = priceOf(usage, provider.model);
    await hold?.settle(cost.usd);
    return {
      ok: false,
      kind: "provider_error",
      reason,
      retryable: error instanceof ProviderError ? error.retryable : false,
      usage,
      costUsd: cost.usd,
      priceKnown: cost.known,
      provider: provider.name,
      model: provider.model,
      durationMs: now() - started,
    };
  }
  const durationMs = now() - started;
  const cost = priceOf(reply.usage, reply.model);
  await hold?.settle(cost.usd);
  const common = {
    usage: reply.usage,
    costUsd: cost.usd,
    priceKnown: cost.known,
    provider: provider.name,
    model: reply.model,
    durationMs,
  };

  const parsed = readReply(reply, spec, context);
  if (!parsed.ok) {
    return { ok: false, kind: parsed.kind, reason: parsed.reason, retryable: true, rawReplyExcerpt: excerpt(reply.text, parsed.kind), ...common };
  }
  const files = [...parsed.files];
  const notes: string[] = [...parsed.notes];
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
    replyMode: parsed.mode,
    filledFromScaffold: parsed.missing,
    notes,
    ...common,
  };
}

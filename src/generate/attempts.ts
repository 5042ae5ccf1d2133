import type { ComponentSpec } from "../spec/types.js";
import { type SpendGate, type SpendHold, SpendRefusedError, type SpendRefusalKind } from "./budget.js";
import { type GenerateOptions, generate } from "./generate.js";
import type { AttemptResult, GeneratedFile, GenerationContext, ModelProvider } from "./types.js";

/**
 * A check between generation and writing (the local validation/repair pass plugs in here). It may return
 * repaired files; failures make the attempt fail and become the next attempt's retry context.
 */
export type AttemptCheck = (
  files: GeneratedFile[],
  spec: ComponentSpec,
) => Promise<{ ok: true; files: GeneratedFile[] } | { ok: false; failures: string[]; files: GeneratedFile[] }>;

export interface RunAttemptsOptions extends GenerateOptions {
  /** Default 2. */
  maxAttempts?: number;
  check?: AttemptCheck;
  /** Called after each attempt, before the next effect (so callers can store it). */
  onAttempt?: (attempt: AttemptResult, index: number) => void | Promise<void>;
}

export interface AttemptsOutcome {
  ok: boolean;
  attempts: AttemptResult[];
  /** The successful attempt, when there is one. */
  final?: Extract<AttemptResult, { ok: true }>;
  /** Why the next model call was not made (the money limit); no attempt is recorded for it. */
  refused?: { kind: SpendRefusalKind; reason: string };
}

/** The gate, with every hold it grants kept so the caller can release them once their cost is recorded. */
function trackingGate(gate: SpendGate | undefined, holds: SpendHold[]): SpendGate | undefined {
  if (gate === undefined) return undefined;
  return {
    limitName: gate.limitName,
    raiseHint: gate.raiseHint,
    disableHint: gate.disableHint,
    async reserve(usd) {
      const decision = await gate.reserve(usd);
      if (decision.ok) holds.push(decision.hold);
      return decision;
    },
  };
}

/**
 * Up to `maxAttempts` generations. A failed attempt's reason becomes the next attempt's retry context:
 * "patch" when there are files to correct, "regenerate" when the reply was unusable. Stops early on a
 * provider error that another try cannot fix (e.g. a rejected key), and before any call the money limit
 * (`options.gate`) does not cover. Each call's hold is released once `onAttempt` has recorded its cost.
 */
export async function runAttempts(
  spec: ComponentSpec,
  context: GenerationContext,
  provider: ModelProvider,
  options: RunAttemptsOptions = {},
): Promise<AttemptsOutcome> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 2);
  const attempts: AttemptResult[] = [];
  let current: GenerationContext = context;
  const holds: SpendHold[] = [];
  const gate = trackingGate(options.gate, holds);
  const record = async (result: AttemptResult, index: number): Promise<void> => {
    attempts.push(result);
    try {
      await options.onAttempt?.(result, index);
    } finally {
      // Recorded (or failed to be): either way this run no longer holds the money; a record that failed
      // leaves the cost uncounted, which the job's failure reports.
      for (const hold of holds.splice(0)) await hold.release();
    }
  };
  for (let index = 0; index < maxAttempts; index++) {
    let result: AttemptResult;
    try {
      result = await generate(spec, current, provider, { ...options, ...(gate === undefined ? {} : { gate }) });
    } catch (error) {
      for (const hold of holds.splice(0)) await hold.release();
      if (error instanceof SpendRefusedError) return { ok: false, attempts, refused: { kind: error.kind, reason: error.message } };
      throw error;
    }
    if (result.ok && options.check) {
      let checked: Awaited<ReturnType<AttemptCheck>>;
      try {
        checked = await options.check(result.files, spec);
      } catch (error) {
        // The attempt will not be recorded: its hold must not wait for its expiry to stop counting.
        for (const hold of holds.splice(0)) await hold.release();
        throw error;
      }
      if (checked.ok) {
        result = { ...result, files: checked.files };
      } else {
        result = {
          ok: false,
          kind: "check_failed",
          reason: checked.failures.join("; "),
          retryable: true,
          files: checked.files,
          usage: result.usage,
          costUsd: result.costUsd,
          priceKnown: result.priceKnown,
          provider: result.provider,
          model: result.model,
          durationMs: result.durationMs,
          replyMode: result.replyMode,
        };
        await record(result, index);
        current = {
          ...context,
          retry: {
            attempt: index + 2,
            strategy: "patch",
            previousFiles: checked.files,
            failures: checked.failures,
            guidance: context.retry?.guidance,
          },
        };
        continue;
      }
    }
    await record(result, index);
    if (result.ok) return { ok: true, attempts, final: result };
    if (!result.retryable) break;
    if (result.kind === "bad_edit" && current.retry !== undefined) {
      // Edits that did not apply: the same files again, this time asking for them whole.
      current = {
        ...current,
        retry: { ...current.retry, attempt: index + 2, failures: [...current.retry.failures, `${result.kind}: ${result.reason}`], replyFormat: "files" },
      };
      continue;
    }
    current = {
      ...context,
      retry: {
        attempt: index + 2,
        strategy: "regenerate",
        previousFiles: [],
        failures: [`${result.kind}: ${result.reason}`],
        guidance: context.retry?.guidance,
      },
    };
  }
  return { ok: false, attempts };
}

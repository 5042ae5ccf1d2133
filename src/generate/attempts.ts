import type { ComponentSpec } from "../spec/types.js";
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
}

/**
 * Up to `maxAttempts` generations. A failed attempt's reason becomes the next attempt's retry context:
 * "patch" when there are files to correct, "regenerate" when the reply was unusable. Stops early on a
 * provider error that another try cannot fix (e.g. a rejected key).
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
  for (let index = 0; index < maxAttempts; index++) {
    let result = await generate(spec, current, provider, options);
    if (result.ok && options.check) {
      const checked = await options.check(result.files, spec);
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
        };
        attempts.push(result);
        await options.onAttempt?.(result, index);
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
    attempts.push(result);
    await options.onAttempt?.(result, index);
    if (result.ok) return { ok: true, attempts, final: result };
    if (!result.retryable) break;
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

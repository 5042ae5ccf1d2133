import type { CiFailure } from "../ci/types.js";
import type { RepoConfig } from "../config/repo-config.js";

export type RetryStop = "base" | "recurring" | "max_attempts" | "auto_retry_off" | "budget" | "config_invalid";

/** Why no automatic retry may run, or null when one may. */
export function retryStopReason(input: { config: RepoConfig | null; committedAttempts: number; spentUsd: number }): RetryStop | null {
  if (input.config === null) return "config_invalid";
  if (input.committedAttempts >= input.config.max_attempts) return "max_attempts";
  if (input.config.budget_usd !== null && input.spentUsd >= input.config.budget_usd) return "budget";
  if (!input.config.auto_retry) return "auto_retry_off";
  return null;
}

function failureLine(f: CiFailure): string {
  const where = f.file === undefined ? "" : ` (\`${f.file}${f.line === undefined ? "" : `:${f.line}`}\`)`;
  const what = f.exceptionType ?? f.ruleCode ?? f.kind;
  return `- **${f.check}** — ${what}: ${f.message.replace(/\s+/g, " ").slice(0, 300)}${where}`;
}

export function renderCiVerdict(input: {
  ours: CiFailure[];
  onBase: CiFailure[];
  recurring: CiFailure[];
  stop: RetryStop | null;
  willRetry: boolean;
  maxAttempts: number;
  committedAttempts: number;
}): string {
  const lines: string[] = [];
  if (input.ours.length > 0) {
    lines.push(`❌ **opforge**: CI failed on attempt ${input.committedAttempts} of ${input.maxAttempts}.`, "", ...input.ours.slice(0, 20).map(failureLine));
  }
  if (input.onBase.length > 0) {
    lines.push(
      "",
      "These failures are on the base branch's head too (same check, same failure), so they are not this PR's fault; opforge does not learn from them or retry for them:",
      ...input.onBase.slice(0, 20).map(failureLine),
    );
  }
  lines.push("");
  if (input.willRetry) lines.push("🔁 Retrying with the failures above as context; a new commit will follow on this branch.");
  else if (input.stop === "recurring") {
    lines.push(
      "🙋 The same failure came back after a fix for it was pushed, so opforge stops here instead of looping. A human look is needed:",
      ...input.recurring.slice(0, 10).map(failureLine),
      "",
      input.committedAttempts < input.maxAttempts
        ? "Comment `/retry <guidance>` to try again with your hints."
        : `All ${input.maxAttempts} attempts (\`max_attempts\`) are used; raise it in .github/opforge.yml to allow a \`/retry\`.`,
    );
  } else if (input.stop === "max_attempts") lines.push(`⛔ opforge made ${input.committedAttempts} attempts (\`max_attempts\`: ${input.maxAttempts}) and stops here; raise \`max_attempts\` in .github/opforge.yml to allow more.`);
  else if (input.stop === "budget") lines.push("⛔ The monthly budget (`budget_usd`) is used up, so opforge does not retry.");
  else if (input.stop === "auto_retry_off") lines.push("`auto_retry` is off: comment `/retry [guidance]` to have opforge try again.");
  else if (input.stop === "config_invalid") lines.push("⛔ `.github/opforge.yml` is invalid, so opforge does not retry until it is fixed.");
  else if (input.stop === "base") lines.push("No retry: nothing failing here is the generated code's fault.");
  return lines.join("\n").trim();
}

import { createHash } from "node:crypto";
import type { CiFailure } from "./types.js";

const MAX_MESSAGE_CHARS = 2000;

/**
 * A message with its run-specific literals replaced by placeholders, so the same mistake on another
 * run, file or line reads the same: quoted strings, memory addresses, hex ids, paths and numbers.
 */
export function stripLiterals(message: string): string {
  return message
    .slice(0, MAX_MESSAGE_CHARS)
    .replace(/'[^'\n]{0,500}'|"[^"\n]{0,500}"|`[^`\n]{0,500}`/g, "<STR>")
    .replace(/\b0x[0-9a-fA-F]{1,32}\b/g, "<ADDR>")
    .replace(/(?:[A-Za-z]:)?(?:[\w.~-]*[/\\])+[\w.-]*/g, "<PATH>")
    .replace(/\b[0-9a-fA-F]{7,64}\b/g, (hex) => (/\d/.test(hex) && /[a-fA-F]/.test(hex) ? "<HEX>" : hex))
    .replace(/(?<![\w.])\d+(?:\.\d+)*/g, "<NUM>")
    .replace(/\s+/g, " ")
    .trim();
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The stable id of a failure: check name, exception type (or rule code, or kind) and literal-free message. */
export function failureFingerprint(failure: Pick<CiFailure, "check" | "kind" | "message" | "exceptionType" | "ruleCode">): string {
  const label = failure.exceptionType ?? failure.ruleCode ?? failure.kind;
  return sha256(`${failure.check}\n${label}\n${stripLiterals(failure.message)}`).slice(0, 16);
}

/** One id for a set of failures, independent of order and repetition. */
export function fingerprintSetHash(failures: ReadonlyArray<Pick<CiFailure, "fingerprint">>): string {
  const unique = [...new Set(failures.map((f) => f.fingerprint))].sort();
  return sha256(unique.join("\n")).slice(0, 16);
}

import { failureFingerprint } from "./fingerprint.js";
import { cleanLines, DEFAULT_LOG_TAIL_BYTES, excerptOf, repoRelativePath, tailBytes, type LogLine } from "./log-text.js";
import { parseAirflowAndRunner } from "./parsers/airflow.js";
import { kindForException, parseExceptionLine } from "./parsers/exception.js";
import { LineRanges, type Found } from "./parsers/found.js";
import { parseLint } from "./parsers/lint.js";
import { parsePip } from "./parsers/pip.js";
import { parsePytest } from "./parsers/pytest.js";
import { parseTracebacks } from "./parsers/traceback.js";
import type { AnnotationInput, CheckRunInput, CiFailure, ParsedFailure } from "./types.js";

/** Check run conclusions that mean the check failed. */
export const FAILING_CONCLUSIONS: ReadonlySet<string> = new Set([
  "failure",
  "timed_out",
  "cancelled",
  "action_required",
  "startup_failure",
]);

/** Default cap on failures kept per check run (a lint run can report thousands of lines). */
export const DEFAULT_MAX_FAILURES = 300;

export interface NormalizeInput {
  checkRun: CheckRunInput;
  annotations?: readonly AnnotationInput[];
  /** The job log as downloaded (Actions timestamps and `##[...]` markers are handled). */
  log?: string;
  /** How many bytes to read from the end of the log. */
  logTailBytes?: number;
  maxFailures?: number;
}

// Runner messages that say a step failed without saying why.
const GENERIC_MESSAGES = [
  /^Process completed with exit code \d+\.?$/,
  /^The operation was canceled\.?$/,
  /^The process '[^']{0,500}' failed with exit code \d+\.?$/,
  /^The strategy configuration was canceled because/,
  /^Error: Process completed with exit code \d+\.?$/,
];

function isGeneric(message: string): boolean {
  const text = message.trim();
  return GENERIC_MESSAGES.some((pattern) => pattern.test(text));
}

/** Every failure all parsers find in one text (log, output or annotation), in the order they appear. */
export function parseFailureText(text: string): ParsedFailure[] {
  return parseLines(cleanLines(text)).map((f) => f.failure);
}

function parseLines(lines: readonly LogLine[]): Found[] {
  const pytest = parsePytest(lines);
  const tracebacks = parseTracebacks(lines, pytest.consumed);
  const explained = new LineRanges();
  for (const f of tracebacks) explained.add(f.start, f.end);
  const found = [
    ...pytest.found,
    ...tracebacks,
    ...parseLint(lines),
    ...parsePip(lines),
    ...parseAirflowAndRunner(lines, explained),
  ];
  return found.sort((a, b) => a.start - b.start);
}

/**
 * The failures one check run reports, from its output, its annotations and (for Actions jobs) the tail
 * of its job log; the same failure seen in several of them is reported once, with the richest location.
 */
export function normalizeCheckRun(input: NormalizeInput): CiFailure[] {
  const { checkRun } = input;
  const check = checkRun.name;
  const conclusion = checkRun.conclusion ?? undefined;
  if (conclusion !== undefined && !FAILING_CONCLUSIONS.has(conclusion)) return [];
  const merged = new FailureSet(input.maxFailures ?? DEFAULT_MAX_FAILURES);
  const fallbacks: string[] = [];

  const output = checkRun.output;
  const outputText = [output?.title, output?.summary, output?.text].filter((t): t is string => typeof t === "string" && t !== "");
  for (const parsed of parseFailureText(outputText.join("\n"))) merged.add(check, parsed);

  for (const annotation of input.annotations ?? []) {
    if (annotation.annotation_level !== "failure") continue;
    const message = annotation.message ?? "";
    if (isGeneric(message)) {
      fallbacks.push(message.trim());
      continue;
    }
    for (const parsed of fromAnnotation(annotation)) merged.add(check, parsed);
  }

  if (input.log !== undefined && input.log !== "") {
    const lines = cleanLines(tailBytes(input.log, input.logTailBytes ?? DEFAULT_LOG_TAIL_BYTES));
    for (const found of parseLines(lines)) merged.add(check, found.failure);
    for (const line of lines) {
      if (line.marker === "error" && line.text.trim() !== "") fallbacks.push(line.text.trim());
    }
  }

  const failures = merged.list();
  if (failures.length > 0 || conclusion === undefined) return failures;
  return [fallbackFailure(check, conclusion, outputText, fallbacks)];
}

function fromAnnotation(annotation: AnnotationInput): ParsedFailure[] {
  const file = annotation.path && annotation.path !== ".github" ? repoRelativePath(annotation.path) : undefined;
  const line = annotation.start_line > 0 ? annotation.start_line : undefined;
  const texts = [annotation.message, annotation.raw_details].filter((t): t is string => typeof t === "string" && t !== "");
  const parsed = parseFailureText(texts.join("\n"));
  const code = /\(([A-Z]{1,4}\d{1,4})\)/.exec(annotation.title ?? "")?.[1] ?? /^([A-Z]{1,4}\d{1,4}) /.exec(annotation.message ?? "")?.[1];
  if (parsed.length === 0 && code === undefined) {
    const raised = lastExceptionLine(texts.join("\n"));
    if (raised) {
      parsed.push({
        kind: kindForException(raised.type, raised.message, "unknown"),
        exceptionType: raised.type,
        message: raised.message,
        excerpt: excerptOf([annotation.title ?? "", ...texts].filter((t) => t !== "")),
      });
    }
  }
  if (parsed.length === 0) {
    const message = (annotation.message ?? "").trim();
    const withoutCode = code !== undefined && message.startsWith(`${code} `) ? message.slice(code.length + 1).trim() : message;
    const result: ParsedFailure = {
      kind: code !== undefined ? "lint" : "unknown",
      message: withoutCode || (annotation.title ?? "").trim(),
      excerpt: excerptOf([annotation.title ?? "", message].filter((t) => t !== "")),
    };
    if (code !== undefined) result.ruleCode = code;
    parsed.push(result);
  }
  return parsed.map((p) => {
    const out = { ...p };
    if (out.file === undefined && file !== undefined) out.file = file;
    if (out.line === undefined && line !== undefined && file !== undefined) out.line = line;
    if (out.ruleCode === undefined && code !== undefined && out.kind === "lint") out.ruleCode = code;
    return out;
  });
}

/**
 * The last `Type: message` line of an annotation (test-report actions put the crash line, often with
 * pytest's `E` prefix, in the message).
 */
function lastExceptionLine(text: string): { type: string; message: string } | undefined {
  let found: { type: string; message: string } | undefined;
  for (const line of cleanLines(text)) {
    const body = line.text.replace(/^E(?: +|$)/, "");
    const exception = parseExceptionLine(body, true);
    if (exception && exception.message !== "") found = exception;
  }
  return found;
}

function fallbackFailure(check: string, conclusion: string, outputText: readonly string[], fallbacks: readonly string[]): CiFailure {
  const specific = fallbacks.find((m) => !isGeneric(m));
  const message = specific ?? outputText[0] ?? fallbacks[0] ?? `${check} finished with conclusion ${conclusion}`;
  const kind = conclusion === "timed_out" ? "timeout" : "unknown";
  const base = { check, kind, message, excerpt: excerptOf([...outputText, ...fallbacks].slice(0, 20)) } as const;
  return { ...base, fingerprint: failureFingerprint(base) };
}

function sameFile(a: string, b: string): boolean {
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

/** Failures of one check, merged when the same failure is seen in output, annotations and log. */
class FailureSet {
  private readonly items: CiFailure[] = [];
  private readonly byFingerprint = new Map<string, CiFailure[]>();

  constructor(private readonly max: number) {}

  add(check: string, parsed: ParsedFailure): void {
    const candidate: CiFailure = { check, ...parsed, fingerprint: failureFingerprint({ check, ...parsed }) };
    const group = this.byFingerprint.get(candidate.fingerprint);
    const twin = group?.find((existing) => this.compatible(existing, candidate));
    if (twin) {
      this.fill(twin, candidate);
      return;
    }
    if (this.items.length >= this.max) return;
    this.items.push(candidate);
    if (group) group.push(candidate);
    else this.byFingerprint.set(candidate.fingerprint, [candidate]);
  }

  list(): CiFailure[] {
    return this.items;
  }

  /**
   * Same fingerprint, and either the same place or one side without a line: a location without a
   * line (a test id, a DAG path) is a coarser view of the same failure, not another one.
   */
  private compatible(a: CiFailure, b: CiFailure): boolean {
    if (a.line === undefined || b.line === undefined) return true;
    if (a.line !== b.line) return false;
    return a.file === undefined || b.file === undefined || sameFile(a.file, b.file);
  }

  private fill(target: CiFailure, other: CiFailure): void {
    if (target.line === undefined && other.line !== undefined) {
      // File and line travel together: a precise location replaces a coarse one.
      target.line = other.line;
      if (other.file !== undefined) target.file = other.file;
    } else if (target.file === undefined && other.file !== undefined && other.line === target.line) {
      target.file = other.file;
    } else if (target.file !== undefined && other.file !== undefined && other.line === target.line && sameFile(target.file, other.file) && other.file.length < target.file.length) {
      // The shorter spelling is the repository-relative one (`ops/x.py` rather than `/opt/app/ops/x.py`).
      target.file = other.file;
    }
    if (target.exceptionType === undefined && other.exceptionType !== undefined) target.exceptionType = other.exceptionType;
    if (target.ruleCode === undefined && other.ruleCode !== undefined) target.ruleCode = other.ruleCode;
    if (other.excerpt.length > target.excerpt.length) target.excerpt = other.excerpt;
  }
}

import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import { extname } from "node:path";
import type { SpecFinding, SpecParseResult } from "./types.js";
import { HOW_TO_WRITE_A_SPEC, extractSpecFromBody } from "./issue-body.js";
import { MAX_SPEC_BYTES } from "./limits.js";
import { normalizeSpec } from "./normalize.js";
import { loadYaml, sizeError } from "./yaml-source.js";

export interface ParseOptions {
  /** `yaml`: the text is a spec file; `issue-body`: a GitHub issue body; `auto` (default): decide from the text. */
  source?: "yaml" | "issue-body" | "auto";
  /** Where the text came from; with `auto`, a `.md`/`.txt` name means an issue body and `.yaml`/`.yml` a spec file. */
  fileName?: string;
}

function failure(errors: SpecFinding[], warnings: SpecFinding[] = []): SpecParseResult {
  return { ok: false, errors, warnings };
}

/** GitHub sends CRLF line ends and editors add a byte-order mark; neither is part of the spec. */
function cleanText(text: string): string {
  return text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

function parseYamlSpec(text: string): SpecParseResult {
  const loaded = loadYaml(text);
  if (!loaded.ok) return failure(loaded.errors);
  return normalizeSpec(loaded.value, loaded.source);
}

function mergeWarnings(result: SpecParseResult, warnings: SpecFinding[]): SpecParseResult {
  if (warnings.length === 0) return result;
  return { ...result, warnings: [...warnings, ...result.warnings] };
}

/** Reads a spec from a GitHub issue body: an issue form, the first ```yaml block, or a bare YAML body. */
export function specFromIssueBody(body: string): SpecParseResult {
  const tooBig = sizeError(Buffer.byteLength(body, "utf8"), "issue body");
  if (tooBig) return failure([tooBig]);
  const extracted = extractSpecFromBody(cleanText(body));
  switch (extracted.kind) {
    case "none":
      return failure([{ path: "", severity: "error", message: HOW_TO_WRITE_A_SPEC }]);
    case "broken":
      return failure(extracted.errors, extracted.warnings);
    case "spec":
      return mergeWarnings(normalizeSpec(extracted.value, extracted.source), extracted.warnings);
  }
}

function looksLikeSpecMapping(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && ("name" in value || "component_type" in value);
}

/** Parses a spec from text: a YAML spec file or a GitHub issue body (see ParseOptions.source). */
export function parseSpecText(text: string, options: ParseOptions = {}): SpecParseResult {
  const tooBig = sizeError(Buffer.byteLength(text, "utf8"), options.fileName ? `spec file ${options.fileName}` : "spec");
  if (tooBig) return failure([tooBig]);
  let source = options.source ?? "auto";
  if (source === "auto" && options.fileName) {
    const extension = extname(options.fileName).toLowerCase();
    if (extension === ".yaml" || extension === ".yml") source = "yaml";
    else if (extension === ".md" || extension === ".markdown" || extension === ".txt") source = "issue-body";
  }
  const cleaned = cleanText(text);
  if (source === "yaml") return parseYamlSpec(cleaned);
  if (source === "issue-body") return specFromIssueBody(cleaned);

  // auto: a text that is itself a spec mapping is a spec file; otherwise look for one as in an issue body.
  const loaded = loadYaml(cleaned);
  if (loaded.ok && looksLikeSpecMapping(loaded.value)) return normalizeSpec(loaded.value, loaded.source);
  const extracted = extractSpecFromBody(cleaned);
  if (extracted.kind === "spec") return mergeWarnings(normalizeSpec(extracted.value, extracted.source), extracted.warnings);
  if (extracted.kind === "broken") return failure(extracted.errors, extracted.warnings);
  if (!loaded.ok) return failure(loaded.errors);
  return normalizeSpec(loaded.value, loaded.source);
}

/**
 * Reads and parses a spec file. A file over MAX_SPEC_BYTES is refused from its size alone, without
 * reading it. A missing or unreadable file throws an Error that names the path.
 */
export async function parseSpecFile(path: string): Promise<SpecParseResult> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new Error("it is a directory, not a file");
    // A FIFO or a device would block the read forever.
    if (!info.isFile()) throw new Error(`it is ${info.isFIFO() ? "a named pipe (FIFO)" : info.isSocket() ? "a socket" : "a device"}, not a regular file`);
    if (info.size > MAX_SPEC_BYTES) {
      return failure([sizeError(info.size, `spec file ${path}`)!]);
    }
    // Read at most one byte past the limit, in case the file grew after stat.
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      // Replaced by something else between the stat and the open: judged again on what was opened.
      if (!(await handle.stat()).isFile()) throw new Error("it is not a regular file");
      const buffer = Buffer.alloc(Math.min(info.size, MAX_SPEC_BYTES) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_SPEC_BYTES) return failure([sizeError(bytesRead, `spec file ${path}`)!]);
      text = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new Error(`cannot read spec file "${path}": ${reason}`, { cause: error });
  }
  return parseSpecText(text, { fileName: path });
}

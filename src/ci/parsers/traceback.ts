import { excerptOf, isLibraryPath, repoRelativePath, type LogLine } from "../log-text.js";
import type { CiFailureKind } from "../types.js";
import { kindForException, parseExceptionLine } from "./exception.js";
import { failure, type Found, type LineRanges } from "./found.js";

const TRACEBACK_HEADER = "Traceback (most recent call last):";
const FRAME = /^\s+File "([^"]{1,1000})", line (\d{1,9})/;
const SYNTAX_HEADER = /^\s*File "([^"]{1,1000})", line (\d{1,9})\s*$/;
const SYNTAX_EXCEPTION = /^(SyntaxError|IndentationError|TabError)(?::\s?(.*))?$/;
const SORRY_LINE = /^Sorry: (IndentationError|SyntaxError|TabError): ([^()]*) \(([^()]{1,1000}), line (\d{1,9})\)$/;
const CHAIN_MARKERS = [
  "During handling of the above exception, another exception occurred:",
  "The above exception was the direct cause of the following exception:",
];
const BROKEN_DAG = /Broken DAG: \[([^\]]{1,1000})\]/;
const FAILED_TO_IMPORT = /Failed to import: (\S{1,1000})/;
// Tracebacks are short; this bounds the lookahead when a log is cut inside one.
const MAX_TRACEBACK_LINES = 3000;

interface Frame {
  file: string;
  line: number;
}

interface TracebackEnd {
  exceptionIndex: number;
  type: string;
  message: string;
  frames: Frame[];
  continuation: number;
}

/** Python tracebacks (plain, chained, and inside `Broken DAG` / DagBag logs) and bare `SyntaxError` reports. */
export function parseTracebacks(lines: readonly LogLine[], skip: LineRanges): Found[] {
  const found: Found[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (skip.has(i)) continue;
    const text = lines[i]!.text;
    const at = text.indexOf(TRACEBACK_HEADER);
    if (at !== -1) {
      const result = readTraceback(lines, i, text.slice(0, at));
      if (result) {
        found.push(result);
        i = result.end;
      }
      continue;
    }
    const header = SYNTAX_HEADER.exec(text);
    if (header) {
      const result = readBareSyntaxError(lines, i, header[1]!, Number(header[2]));
      if (result) {
        found.push(result);
        i = result.end;
      }
      continue;
    }
    const sorry = SORRY_LINE.exec(text);
    if (sorry) {
      found.push({
        failure: failure({
          kind: "syntax",
          exceptionType: sorry[1],
          message: sorry[2]!.trim(),
          file: repoRelativePath(sorry[3]!),
          line: Number(sorry[4]),
          excerpt: text,
        }),
        start: i,
        end: i,
      });
    }
  }
  return found;
}

function readTraceback(lines: readonly LogLine[], start: number, prefix: string): Found | undefined {
  const dagFile = dagContext(lines, start, prefix);
  let end = readOneTraceback(lines, start);
  if (!end) return undefined;
  // A chained traceback ends with the exception that actually propagated: report that one.
  for (;;) {
    let next = end.continuation + 1;
    while (next < lines.length && lines[next]!.text.trim() === "") next++;
    if (next >= lines.length || !CHAIN_MARKERS.includes(lines[next]!.text.trim())) break;
    next++;
    while (next < lines.length && lines[next]!.text.trim() === "") next++;
    if (next >= lines.length || !lines[next]!.text.includes(TRACEBACK_HEADER)) break;
    const chained = readOneTraceback(lines, next);
    if (!chained) break;
    end = chained;
  }
  let frame = chooseFrame(end.frames, end.type);
  // Airflow trims DAG import tracebacks to their last frames, often all inside Airflow: the DAG file
  // then says more than a library frame.
  if (frame && dagFile !== undefined && isLibraryPath(frame.file)) frame = undefined;
  const fallback: CiFailureKind = dagFile !== undefined ? "dag_import" : end.type === "AssertionError" ? "test_failure" : "unknown";
  let kind = kindForException(end.type, end.message, fallback);
  if (dagFile !== undefined && kind !== "timeout") kind = "dag_import";
  const excerptLines = lines.slice(start, end.continuation + 1).map((l) => l.text);
  return {
    failure: failure({
      kind,
      exceptionType: end.type,
      message: end.message,
      file: frame ? repoRelativePath(frame.file) : dagFile,
      line: frame?.line,
      excerpt: excerptOf(excerptLines),
    }),
    start,
    end: end.continuation,
  };
}

function readOneTraceback(lines: readonly LogLine[], start: number): TracebackEnd | undefined {
  const frames: Frame[] = [];
  const limit = Math.min(lines.length, start + MAX_TRACEBACK_LINES);
  for (let j = start + 1; j < limit; j++) {
    const text = lines[j]!.text;
    const frame = FRAME.exec(text);
    if (frame) {
      frames.push({ file: frame[1]!, line: Number(frame[2]) });
      continue;
    }
    if (text.trim() === "" || /^\s/.test(text)) continue;
    const exception = parseExceptionLine(text, false);
    if (!exception) return undefined;
    return { exceptionIndex: j, type: exception.type, message: exception.message, frames, continuation: continuationEnd(lines, j) };
  }
  return undefined;
}

/** Lines after an exception line that still belong to its message (Airflow adds hints there). */
function continuationEnd(lines: readonly LogLine[], exceptionIndex: number): number {
  let last = exceptionIndex;
  for (let k = exceptionIndex + 1; k < lines.length && k <= exceptionIndex + 4; k++) {
    const text = lines[k]!.text;
    if (text.trim() === "" || text.startsWith("[") || lines[k]!.marker !== undefined) break;
    if (text.includes(TRACEBACK_HEADER) || CHAIN_MARKERS.includes(text.trim())) break;
    if (!/^(?:\*|Please |\s)/.test(text)) break;
    last = k;
  }
  return last;
}

/** The frame to blame: the syntax error's own location, else the innermost frame outside libraries. */
function chooseFrame(frames: readonly Frame[], type: string): Frame | undefined {
  if (frames.length === 0) return undefined;
  if (SYNTAX_EXCEPTION.test(type)) return frames[frames.length - 1];
  for (let k = frames.length - 1; k >= 0; k--) {
    if (!isLibraryPath(frames[k]!.file)) return frames[k];
  }
  return frames[frames.length - 1];
}

function dagContext(lines: readonly LogLine[], start: number, prefix: string): string | undefined {
  const broken = BROKEN_DAG.exec(prefix);
  if (broken) return repoRelativePath(broken[1]!);
  const own = FAILED_TO_IMPORT.exec(prefix);
  if (own) return repoRelativePath(own[1]!);
  const previous = start > 0 ? lines[start - 1]!.text : "";
  const before = FAILED_TO_IMPORT.exec(previous) ?? BROKEN_DAG.exec(previous);
  return before ? repoRelativePath(before[1]!) : undefined;
}

function readBareSyntaxError(lines: readonly LogLine[], start: number, file: string, line: number): Found | undefined {
  // The header is followed by the source line, a caret line, then the error (3.11+ may add more carets).
  for (let j = start + 1; j < lines.length && j <= start + 6; j++) {
    const text = lines[j]!.text;
    const match = SYNTAX_EXCEPTION.exec(text.trim());
    if (match && !/^\s/.test(text)) {
      return {
        failure: failure({
          kind: "syntax",
          exceptionType: match[1],
          message: (match[2] ?? "").trim(),
          file: repoRelativePath(file),
          line,
          excerpt: excerptOf(lines.slice(start, j + 1).map((l) => l.text)),
        }),
        start,
        end: j,
      };
    }
    if (j > start + 1 && !/^\s/.test(text)) return undefined;
  }
  return undefined;
}

import { excerptOf, type LogLine } from "../log-text.js";
import { failure, type Found } from "./found.js";

const CANNOT_INSTALL = /^ERROR: (Cannot install .{1,2000} because these package versions have conflicting dependencies\.?)$/;
const RESOLUTION_IMPOSSIBLE = /^ERROR: ResolutionImpossible\b/;
const CONFLICT_CAUSED_BY = "The conflict is caused by:";
const NO_MATCHING = /^ERROR: (No matching distribution found for .{1,1000})$/;
const NO_VERSION = /^ERROR: Could not find a version that satisfies the requirement /;
const INSTALLED_CONFLICT = /^ERROR: pip's dependency resolver does not currently take into account/;
const REQUIRES_BUT_HAVE = /^\S{1,200} [^ ]{1,100} requires .{1,1000}, but you have .{1,1000} which is incompatible\.?$/;
const UV_NO_SOLUTION = /No solution found when resolving dependencies/;
const UV_DETAIL = /^\s*(?:╰─▶|\u2570\u2500\u25b6)\s*(.*)$/;

/** pip resolver conflicts, missing distributions and incompatible installs; uv's `No solution found`. */
export function parsePip(lines: readonly LogLine[]): Found[] {
  const found: Found[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (text.startsWith("ERROR: ")) {
      const result = readPipError(lines, i, text);
      if (result) {
        found.push(result);
        i = result.end;
      }
    } else if (UV_NO_SOLUTION.test(text)) {
      const result = readUv(lines, i);
      found.push(result);
      i = result.end;
    }
  }
  return found;
}

function readPipError(lines: readonly LogLine[], i: number, text: string): Found | undefined {
  const cannot = CANNOT_INSTALL.exec(text);
  if (cannot || RESOLUTION_IMPOSSIBLE.test(text) || text.trim() === `ERROR: ${CONFLICT_CAUSED_BY}`) {
    return readConflict(lines, i, cannot?.[1]);
  }
  if (NO_VERSION.test(text) || NO_MATCHING.test(text)) {
    let end = i;
    let message: string | undefined = NO_MATCHING.exec(text)?.[1];
    for (let j = i + 1; j < lines.length && j <= i + 3 && message === undefined; j++) {
      const next = NO_MATCHING.exec(lines[j]!.text);
      if (next) {
        message = next[1];
        end = j;
      }
    }
    return {
      failure: failure({
        kind: "dependency_conflict",
        exceptionType: "DistributionNotFound",
        message: (message ?? text.slice("ERROR: ".length)).trim(),
        excerpt: excerptOf(lines.slice(i, end + 1).map((l) => l.text)),
      }),
      start: i,
      end,
    };
  }
  if (INSTALLED_CONFLICT.test(text)) {
    let end = i;
    const causes: string[] = [];
    for (let j = i + 1; j < lines.length && j <= i + 50 && REQUIRES_BUT_HAVE.test(lines[j]!.text); j++) {
      causes.push(lines[j]!.text);
      end = j;
    }
    if (causes.length === 0) return undefined;
    return {
      failure: failure({
        kind: "dependency_conflict",
        exceptionType: "IncompatibleInstall",
        message: causes[0]!,
        excerpt: excerptOf(lines.slice(i, end + 1).map((l) => l.text)),
      }),
      start: i,
      end,
    };
  }
  return undefined;
}

/**
 * `Cannot install ...`, `The conflict is caused by:` with its indented causes, the advice list, and
 * `ResolutionImpossible`: one failure for the whole block.
 */
function readConflict(lines: readonly LogLine[], start: number, cannotInstall: string | undefined): Found {
  const causes: string[] = [];
  let end = start;
  let inCauses = lines[start]!.text.includes(CONFLICT_CAUSED_BY);
  for (let j = start + 1; j < lines.length && j <= start + 80; j++) {
    const text = lines[j]!.text;
    if (text.includes(CONFLICT_CAUSED_BY)) {
      inCauses = true;
      end = j;
      continue;
    }
    if (inCauses && /^\s+\S/.test(text)) {
      causes.push(text.trim());
      end = j;
      continue;
    }
    inCauses = false;
    if (RESOLUTION_IMPOSSIBLE.test(text)) {
      end = j;
      break;
    }
    if (CANNOT_INSTALL.test(text) || (text.startsWith("ERROR: ") && !RESOLUTION_IMPOSSIBLE.test(text))) break;
    if (text.trim() === "" || /^(?:To fix this|\d+\. |\s)/.test(text)) {
      end = j;
      continue;
    }
    break;
  }
  const message = cannotInstall ?? (causes.length > 0 ? `ResolutionImpossible: ${causes.join("; ")}` : "ResolutionImpossible");
  return {
    failure: failure({
      kind: "dependency_conflict",
      exceptionType: "ResolutionImpossible",
      message,
      excerpt: excerptOf(lines.slice(start, end + 1).map((l) => l.text)),
    }),
    start,
    end,
  };
}

function readUv(lines: readonly LogLine[], start: number): Found {
  let end = start;
  let detail: string | undefined;
  for (let j = start + 1; j < lines.length && j <= start + 20; j++) {
    const text = lines[j]!.text;
    if (text.trim() === "") break;
    detail ??= UV_DETAIL.exec(text)?.[1];
    end = j;
  }
  return {
    failure: failure({
      kind: "dependency_conflict",
      exceptionType: "ResolutionImpossible",
      message: detail?.trim() || "No solution found when resolving dependencies",
      excerpt: excerptOf(lines.slice(start, end + 1).map((l) => l.text)),
    }),
    start,
    end,
  };
}

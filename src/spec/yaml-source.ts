import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import type { SpecFinding } from "./types.js";
import type { LineLookup } from "./findings.js";
import type { SpecPath } from "./path.js";
import { MAX_ALIAS_COUNT, MAX_LINE_PREFIX, MAX_NESTING_DEPTH, MAX_SPEC_BYTES } from "./limits.js";

/** What parsed YAML offers the normalizer besides the value: lines and scalars as written. */
export interface SourceMap extends LineLookup {
  /** The text of a scalar as written (`1.10` stays `1.10`, not the number 1.1). */
  scalarSource(path: SpecPath): string | undefined;
}

export const EMPTY_SOURCE: SourceMap = { lineOf: () => undefined, scalarSource: () => undefined };

export type LoadedYaml =
  | { ok: true; value: unknown; source: SourceMap }
  | { ok: false; errors: SpecFinding[] };

/** Refuses text over the size limit; checked before anything else looks at the text. */
export function sizeError(byteLength: number, what = "spec"): SpecFinding | undefined {
  if (byteLength <= MAX_SPEC_BYTES) return undefined;
  return {
    path: "",
    severity: "error",
    message:
      `${what} is ${formatBytes(byteLength)}, over the ${formatBytes(MAX_SPEC_BYTES)} limit ` +
      `(MAX_SPEC_BYTES); a component spec is a few kilobytes — split it or remove pasted data`,
  };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/**
 * Parses one YAML document with every cost bounded: size, line prefixes, flow nesting, aliases and
 * nesting depth. `lineOffset` shifts reported lines when the YAML sits inside a larger text (an issue body).
 */
export function loadYaml(text: string, lineOffset = 0): LoadedYaml {
  const tooBig = sizeError(Buffer.byteLength(text, "utf8"));
  if (tooBig) return { ok: false, errors: [tooBig] };

  const shapeProblem = scanNesting(text);
  if (shapeProblem) {
    return { ok: false, errors: [{ path: "", severity: "error", message: shapeProblem.message, line: shapeProblem.line + lineOffset }] };
  }

  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    // `merge`: files written for PyYAML use `<<: *defaults` merge keys; their expansion counts as alias use.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  } catch (error) {
    return { ok: false, errors: [{ path: "", severity: "error", message: `YAML could not be parsed: ${String(error)}` }] };
  }
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line + lineOffset;

  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => ({
        path: "",
        severity: "error" as const,
        message: yamlErrorMessage(error.code, error.message),
        line: lineAt(error.pos[0]),
      })),
    };
  }

  const shape = inspectTree(doc.contents);
  if (shape) {
    const message =
      shape.problem === "too-deep"
        ? `mappings and lists are nested more than ${MAX_NESTING_DEPTH} levels deep (MAX_NESTING_DEPTH)`
        : `key "${shape.key}" appears twice in the same mapping; keep one`;
    return {
      ok: false,
      errors: [{ path: "", severity: "error", message, ...(shape.node.range ? { line: lineAt(shape.node.range[0]) } : {}) }],
    };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      errors: [{
        path: "",
        severity: "error",
        message: `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} alias uses, MAX_ALIAS_COUNT): ${reason}`,
      }],
    };
  }

  const source: SourceMap = {
    lineOf(path) {
      const node = nodeAt(doc.contents, path);
      return node?.range ? lineAt(node.range[0]) : undefined;
    },
    scalarSource(path) {
      const node = nodeAt(doc.contents, path, true);
      if (node && isScalar(node) && typeof node.source === "string") return node.source;
      return undefined;
    },
  };
  return { ok: true, value, source };
}

function yamlErrorMessage(code: string, message: string): string {
  if (code === "MULTIPLE_DOCS") return "the text holds more than one YAML document (separated by ---); a spec is one document";
  return `YAML syntax: ${firstLine(message)}`;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

/**
 * The node at `path`; when the path does not exist (a missing key), the deepest node on the way, so
 * findings about absent fields still point at the entry that lacks them. With `exact`, only the node itself.
 */
function nodeAt(root: unknown, path: SpecPath, exact = false): Node | undefined {
  let current = root as Node | null | undefined;
  let lastFound: Node | undefined = current ?? undefined;
  for (const [depth, segment] of path.entries()) {
    const last = depth === path.length - 1;
    let next: Node | undefined;
    if (typeof segment === "number" && isSeq(current)) {
      next = current.items[segment] as Node | undefined;
    } else if (isMap(current)) {
      for (const item of current.items) {
        if (!isPair(item)) continue;
        const key = isScalar(item.key) ? item.key.value : item.key;
        if (String(key) === String(segment)) {
          // A key with no value (`ui_color:`) has a null value node, and a block list starts on the
          // line after its key: point at the key then, where a reader looks for the field.
          const value = item.value as Node | null;
          const atKey = value === null || (!exact && last && (isMap(value) || isSeq(value)) && !value.flow);
          next = ((atKey ? item.key : value) as Node | null) ?? undefined;
          break;
        }
      }
    }
    if (!next) return exact ? undefined : lastFound;
    current = next;
    lastFound = next;
  }
  return current ?? undefined;
}

/**
 * Walks the node tree without recursion and returns the first node deeper than the limit, or the
 * second occurrence of a key in one mapping. Keys are checked here, with a set per mapping, because
 * the parser's own `uniqueKeys` check compares every key with every other one: a 1 MB mapping of
 * 100,000 keys took minutes.
 */
function inspectTree(root: unknown): { problem: "too-deep"; node: Node } | { problem: "duplicate-key"; key: string; node: Node } | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_NESTING_DEPTH) return { problem: "too-deep", node };
    const keys = isMap(node) ? new Set<string>() : undefined;
    for (const item of node.items) {
      if (isPair(item)) {
        if (keys && isScalar(item.key) && item.key.value !== "<<") {
          const key = String(item.key.value);
          if (keys.has(key)) return { problem: "duplicate-key", key, node: item.key };
          keys.add(key);
        }
        stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      } else {
        stack.push({ node: item, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * A linear scan for shapes the YAML parser would take too long or too much memory on: very long
 * runs of block indicators at the start of a line, and flow brackets (`[[[[...`) nested far deeper
 * than any spec needs. Quoted strings, comments and block scalars (`|`, `>`) are skipped.
 */
export function scanNesting(text: string): { line: number; message: string } | undefined {
  const flowLimit = MAX_NESTING_DEPTH * 2;
  let flowDepth = 0;
  let blockScalarParentIndent = -1;
  let lineNumber = 0;
  for (const line of text.split("\n")) {
    lineNumber += 1;
    const prefix = /^[\s\-?:]*/.exec(line)?.[0].length ?? 0;
    if (prefix > MAX_LINE_PREFIX) {
      return {
        line: lineNumber,
        message: `line starts with ${prefix} characters of indentation and block indicators, over the ${MAX_LINE_PREFIX} limit (MAX_LINE_PREFIX); nesting this deep is not a spec`,
      };
    }
    const indent = line.length - line.trimStart().length;
    if (blockScalarParentIndent >= 0) {
      if (line.trim() === "" || indent > blockScalarParentIndent) continue;
      blockScalarParentIndent = -1;
    }
    // Quotes are tracked within a line only, so an unbalanced quote cannot hide the rest of the text.
    let quote: '"' | "'" | undefined;
    let previous = " ";
    for (let i = 0; i < line.length; i++) {
      const char = line[i]!;
      if (quote !== undefined) {
        if (quote === '"' && char === "\\") i++;
        else if (char === quote) quote = undefined;
      } else if (char === "#" && /\s/.test(previous)) {
        break;
      } else if ((char === '"' || char === "'") && /[\s[{,:-]/.test(previous)) {
        quote = char;
      } else if (char === "[" || char === "{") {
        flowDepth += 1;
        if (flowDepth > flowLimit) {
          return {
            line: lineNumber,
            message: `brackets are nested more than ${flowLimit} levels deep; nesting this deep is not a spec (MAX_NESTING_DEPTH is ${MAX_NESTING_DEPTH})`,
          };
        }
      } else if (char === "]" || char === "}") {
        flowDepth = Math.max(0, flowDepth - 1);
      }
      previous = char;
    }
    if (quote === undefined && flowDepth === 0 && /(^|[\s:-])[|>][-+0-9]*\s*(#.*)?$/.test(line.replace(/\r$/, ""))) {
      blockScalarParentIndent = indent;
    }
  }
  return undefined;
}

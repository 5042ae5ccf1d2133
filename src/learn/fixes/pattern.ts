/**
 * Rewrite patterns: Python text in which `$1`, `$2`… stand for one identifier each (also as the whole
 * content of a plain string). A pattern is whole logical lines; it matches consecutive logical lines of a
 * source with the same relative indentation and the same tokens, each hole bound to one text throughout.
 */
import { BUILTIN_NAMES } from "../../python/stdlib.js";
import type { LogicalLine, Token } from "./tokens.js";
import { tokenizePython } from "./tokens.js";

export interface PatternLine {
  /** Indentation relative to the pattern's first line. */
  indent: number;
  tokens: Token[];
}

export interface Pattern {
  text: string;
  lines: PatternLine[];
}

/** Names a hole never binds: rewriting them would change what the code means, not what it is called. */
const UNBINDABLE: ReadonlySet<string> = new Set([...BUILTIN_NAMES, "self", "cls"]);

export function compilePattern(text: string): Pattern {
  const { lines } = tokenizePython(text);
  const base = lines[0]?.indent ?? 0;
  return { text, lines: lines.map((line) => ({ indent: line.indent - base, tokens: line.tokens })) };
}

export function holeNames(pattern: Pattern): string[] {
  const seen: string[] = [];
  for (const line of pattern.lines) {
    for (const t of line.tokens) if (t.type === "hole" && !seen.includes(t.text)) seen.push(t.text);
  }
  return seen;
}

export function tokenCount(pattern: Pattern): number {
  return pattern.lines.reduce((n, line) => n + line.tokens.length, 0);
}

/** Tokens that must be present literally for the pattern to match. */
export function fixedTokens(pattern: Pattern): Token[] {
  return pattern.lines.flatMap((line) => line.tokens.filter((t) => t.type !== "hole"));
}

/**
 * Fixed tokens that carry meaning on their own (names, keywords, literals), as opposed to punctuation.
 * `self` and `cls` do not count: nearly every method line has them.
 */
export function anchorTokens(pattern: Pattern): Token[] {
  return fixedTokens(pattern).filter(
    (t) => (t.type === "name" || t.type === "keyword" || t.type === "string" || t.type === "number" || t.type === "strname") && t.text !== "self" && t.text !== "cls",
  );
}

export function canBind(token: Token): boolean {
  return (token.type === "name" || token.type === "strname") && !UNBINDABLE.has(token.text);
}

/**
 * Matches the pattern against `lines[at…]`. Returns hole → bound text, or undefined. `bindings` carries
 * holes already bound (by the before pattern when checking the after pattern at the same place).
 */
export function matchAt(pattern: Pattern, lines: readonly LogicalLine[], at: number, bindings: ReadonlyMap<string, string> = new Map()): Map<string, string> | undefined {
  if (pattern.lines.length === 0 || at + pattern.lines.length > lines.length) return undefined;
  const bound = new Map(bindings);
  const first = lines[at] as LogicalLine;
  for (let j = 0; j < pattern.lines.length; j++) {
    const want = pattern.lines[j] as PatternLine;
    const have = lines[at + j] as LogicalLine;
    if (have.indent - first.indent !== want.indent || have.tokens.length !== want.tokens.length) return undefined;
    for (let k = 0; k < want.tokens.length; k++) {
      const p = want.tokens[k] as Token;
      const s = have.tokens[k] as Token;
      if (p.type === "hole") {
        if (!canBind(s)) return undefined;
        const prior = bound.get(p.text);
        if (prior === undefined) bound.set(p.text, s.text);
        else if (prior !== s.text) return undefined;
      } else if (p.text !== s.text) {
        return undefined;
      }
    }
  }
  return bound;
}

/**
 * The pattern's text with holes filled, its first line placed at the match (after the source's own
 * indentation) and every further line indented by `indentText` on top of its relative indentation.
 */
export function renderPattern(pattern: Pattern, captures: ReadonlyMap<string, string>, indentText: string): string {
  const filled = pattern.text.replace(/\$\d+/g, (hole) => {
    const value = captures.get(hole);
    if (value === undefined) throw new Error(`pattern hole ${hole} is not bound by the match`);
    return value;
  });
  return filled
    .split("\n")
    .map((line, i) => (i === 0 || line.trim() === "" ? line.trimEnd() : `${indentText}${line.trimEnd()}`))
    .join("\n")
    .trim();
}

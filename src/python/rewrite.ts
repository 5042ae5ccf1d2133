/**
 * One interface for "a rule that matches and rewrites", shared by the built-in fixers and by rewrite rules
 * learned from human edits (before → after text patterns with holes for identifiers).
 *
 *   interface RewriteRule {
 *     id;            stable id, e.g. "fix/param-order" or "learned/42"
 *     description;   what the rewrite does, shown in the list of applied fixes
 *     source;        "builtin" | "learned"
 *     fixes?;        the validation rule id it repairs; the engine checks that rule's findings go down
 *     find(a);       matches in the analysed source (pure: no edits, no state)
 *     rewrite(m, a); text edits for one match, as UTF-16 offsets into a.source
 *   }
 *
 * The engine (repair.ts) applies rules one at a time, re-analysing after each, and keeps a rule's edits only
 * when the result parses no worse and, for rules that name a finding, that finding count drops. It stops at a
 * fixed point or after a bounded number of passes.
 */
import type { Analysis } from "./analysis.js";

export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export interface RewriteMatch {
  /** Id of the rewrite rule that produced the match. */
  rule: string;
  start: number;
  end: number;
  description: string;
  /** Hole name → text bound at the match (learned patterns). */
  captures?: Record<string, string>;
  /** Edits computed while matching, for rules that know them up front (the built-ins). */
  edits?: TextEdit[];
}

export interface RewriteRule {
  id: string;
  description: string;
  source: "builtin" | "learned";
  fixes?: string;
  find(analysis: Analysis): RewriteMatch[];
  rewrite(match: RewriteMatch, analysis: Analysis): TextEdit[];
}

export interface AppliedFix {
  rule: string;
  source: "builtin" | "learned";
  /** The finding rule it repaired, when the rewrite names one. */
  fixes?: string;
  line: number;
  description: string;
}

/** Applies non-overlapping edits; throws on overlap, which would make the result depend on order. */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((x, y) => x.start - y.start || x.end - y.end);
  let out = "";
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error(`overlapping edits at offset ${e.start}`);
    if (e.start > e.end || e.end > source.length) throw new Error(`edit out of range: ${e.start}..${e.end}`);
    out += source.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + source.slice(at);
}

export function overlaps(a: readonly TextEdit[], b: readonly TextEdit[]): boolean {
  return a.some((x) => b.some((y) => (x.start < y.end && y.start < x.end) || (x.start === y.start && x.end === x.start && y.end === y.start)));
}

/** A built-in rewrite whose `find` already computes the edits. */
export function builtinRule(id: string, fixes: string, description: string, find: (a: Analysis) => RewriteMatch[]): RewriteRule {
  return { id, fixes, description, source: "builtin", find, rewrite: (match) => match.edits ?? [] };
}

/**
 * A learned rule as the repair engine's `RewriteRule`: its `before` pattern is matched on the source's
 * logical lines (in the right context), the match is replaced by `after` with the holes filled, and a
 * match whose rewrite would not parse is not offered at all.
 */
import type { Analysis } from "../../python/analysis.js";
import { loadGrammar } from "../../python/parser.js";
import type { RewriteMatch, RewriteRule, TextEdit } from "../../python/rewrite.js";
import { applyEdits } from "../../python/rewrite.js";
import type { Pattern } from "./pattern.js";
import { compilePattern, holeNames, matchAt, renderPattern } from "./pattern.js";
import type { LogicalLine } from "./tokens.js";
import { tokenizePython } from "./tokens.js";
import { contextAt } from "./units.js";

/** The parts of a stored rule the rewrite needs. */
export interface RulePatternsWithId {
  id: number;
  before: string;
  after: string;
  context: string;
  description: string;
}

type Grammar = Awaited<ReturnType<typeof loadGrammar>>;
let grammar: Grammar | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the parser learned rules check their output with. The engine's own analysis loads the same
 * grammar, so by the time a rule's `find` runs it is normally there; await this where that is not so.
 */
export function learnedRulesReady(): Promise<void> {
  loading ??= loadGrammar().then((g) => {
    grammar = g;
  });
  return loading;
}

function syntaxErrors(source: string): number {
  if (!grammar) throw new Error("learned rules need the Python parser: await learnedRulesReady() before repairing");
  const tree = grammar.parser.parse(source);
  if (!tree) return Number.POSITIVE_INFINITY;
  try {
    if (!tree.rootNode.hasError) return 0;
    return tree.rootNode.descendantsOfType(["ERROR"]).length + 1;
  } finally {
    tree.delete();
  }
}

function ruleId(rule: RulePatternsWithId): string {
  return `learned/${rule.id}`;
}

/** The stored rule id behind a repair engine rule id (`learned/42` → 42), or undefined for built-ins. */
export function learnedRuleId(engineRuleId: string): number | undefined {
  const match = /^learned\/(\d+)$/.exec(engineRuleId);
  return match ? Number(match[1]) : undefined;
}

/** Holes of `after` that `before` does not bind: a rule with any could not be instantiated. */
export function unboundHoles(before: string, after: string): string[] {
  const bound = new Set(holeNames(compilePattern(before)));
  return holeNames(compilePattern(after)).filter((h) => !bound.has(h));
}

const tokenized = new WeakMap<Analysis, ReturnType<typeof tokenizePython>>();

function tokensOf(analysis: Analysis): ReturnType<typeof tokenizePython> {
  let cached = tokenized.get(analysis);
  if (!cached) {
    cached = tokenizePython(analysis.source);
    tokenized.set(analysis, cached);
  }
  return cached;
}

/** Start and end of the text a match replaces; an empty `after` takes its whole lines with it. */
function span(source: string, lines: readonly LogicalLine[], at: number, count: number, deleting: boolean): { start: number; end: number } {
  const first = lines[at] as LogicalLine;
  const last = lines[at + count - 1] as LogicalLine;
  if (!deleting) return { start: first.start, end: last.end };
  const nl = source.indexOf("\n", last.end);
  return { start: first.lineStart, end: nl === -1 ? source.length : nl + 1 };
}

function findMatches(rule: RulePatternsWithId, before: Pattern, after: Pattern, analysis: Analysis): RewriteMatch[] {
  const parsed = analysis.parsed;
  if (!parsed || before.lines.length === 0) return [];
  const source = analysis.source;
  const { lines, comments } = tokensOf(analysis);
  const deleting = after.lines.length === 0;
  const found: RewriteMatch[] = [];
  for (let i = 0; i + before.lines.length <= lines.length; i++) {
    const captures = matchAt(before, lines, i);
    if (!captures) continue;
    const first = lines[i] as LogicalLine;
    if (contextAt(parsed.root, first.start, source) !== rule.context) continue;
    // Already in the fixed shape (an insertion rule's `before` is still there after it ran): leave it.
    if (!deleting && matchAt(after, lines, i, captures)) continue;
    const { start, end } = span(source, lines, i, before.lines.length, deleting);
    // Comments inside the replaced lines would be lost; a learned rule does not get to drop them.
    if (comments.some((c) => c.start >= start && c.start < end)) continue;
    const edit: TextEdit = { start, end, text: deleting ? "" : renderPattern(after, captures, first.indentText) };
    const { line } = analysis.position(start);
    found.push({
      rule: ruleId(rule),
      start,
      end,
      description: `${rule.description} (line ${line})`,
      captures: Object.fromEntries(captures),
      edits: [edit],
    });
    i += before.lines.length - 1;
  }
  if (found.length === 0) return [];
  // The rewritten source must parse no worse. One parse checks all matches together; only when that
  // fails is each match checked on its own, so a single bad spot does not cost the others.
  const errorsBefore = parsed.hasError ? syntaxErrors(source) : 0;
  const parsesWith = (matches: readonly RewriteMatch[]): boolean =>
    syntaxErrors(applyEdits(source, matches.flatMap((m) => m.edits ?? []))) <= errorsBefore;
  if (parsesWith(found)) return found;
  return found.filter((m) => parsesWith([m]));
}

export function toRewriteRule(rule: RulePatternsWithId): RewriteRule {
  const unbound = unboundHoles(rule.before, rule.after);
  if (unbound.length > 0) {
    throw new Error(`rewrite rule ${rule.id}: its after pattern uses ${unbound.join(", ")}, which its before pattern does not bind`);
  }
  void learnedRulesReady().catch(() => undefined);
  const before = compilePattern(rule.before);
  const after = compilePattern(rule.after);
  return {
    id: ruleId(rule),
    description: rule.description,
    source: "learned",
    find: (analysis) => findMatches(rule, before, after, analysis),
    rewrite: (match, analysis) => {
      if (match.edits) return match.edits;
      return findMatches(rule, before, after, analysis).find((m) => m.start === match.start)?.edits ?? [];
    },
  };
}

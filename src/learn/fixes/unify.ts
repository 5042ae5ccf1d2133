/**
 * Anti-unification of rewrite rules: two rules whose patterns agree token by token except at identifier
 * positions fold into one rule with holes where they differ. A merge is refused when it would leave too
 * little literal code to anchor on, or would turn an API name into a hole.
 */
import { isApiName } from "./abstract.js";
import { MIN_ANCHOR_TOKENS, MIN_FIXED_TOKENS } from "./limits.js";
import type { Pattern } from "./pattern.js";
import { anchorTokens, compilePattern, fixedTokens } from "./pattern.js";
import type { Token } from "./tokens.js";

export interface RulePatterns {
  before: string;
  after: string;
  context: string;
}

export type UnifyResult =
  | { ok: true; before: string; after: string; context: string; holes: number }
  | { ok: false; reason: string };

interface Position {
  token: Token;
  /** Relative indentation of the line, checked at each line's first token. */
  indent: number | undefined;
}

function positions(pattern: Pattern): Position[] {
  return pattern.lines.flatMap((line) => line.tokens.map((token, k) => ({ token, indent: k === 0 ? line.indent : undefined })));
}

function identifierPosition(t: Token): boolean {
  return t.type === "name" || t.type === "strname" || t.type === "hole";
}

/** Whether `general` matches everything `specific` does (each of its holes stands for one token of `specific`). */
export function generalizes(general: RulePatterns, specific: RulePatterns): boolean {
  if (general.context !== specific.context) return false;
  const bound = new Map<string, string>();
  const side = (g: Pattern, s: Pattern): boolean => {
    const gp = positions(g);
    const sp = positions(s);
    if (gp.length !== sp.length || g.lines.length !== s.lines.length) return false;
    return gp.every((p, i) => {
      const q = sp[i] as Position;
      if (p.indent !== q.indent) return false;
      if (p.token.type !== "hole") return p.token.text === q.token.text;
      if (!identifierPosition(q.token)) return false;
      const prior = bound.get(p.token.text);
      if (prior === undefined) bound.set(p.token.text, q.token.text);
      return prior === undefined || prior === q.token.text;
    });
  };
  return side(compilePattern(general.before), compilePattern(specific.before)) && side(compilePattern(general.after), compilePattern(specific.after));
}

/** Rebuilds a pattern's text with the tokens at the given indices replaced. */
function replaceTokens(pattern: Pattern, replacements: ReadonlyMap<number, string>): string {
  const tokens = pattern.lines.flatMap((l) => l.tokens);
  let out = "";
  let at = 0;
  tokens.forEach((t, i) => {
    const text = replacements.get(i);
    if (text === undefined) return;
    out += pattern.text.slice(at, t.start) + text;
    at = t.end;
  });
  return out + pattern.text.slice(at);
}

/** The most specific rule that covers both, or why there is none worth having. */
export function antiUnify(a: RulePatterns, b: RulePatterns): UnifyResult {
  if (a.context !== b.context) return { ok: false, reason: `they apply in different places (${a.context || "module"} vs ${b.context || "module"})` };
  const pairs = new Map<string, string>();
  const sides: { pattern: Pattern; replacements: Map<number, string> }[] = [];
  let differences = 0;
  for (const [pa, pb, binds] of [
    [compilePattern(a.before), compilePattern(b.before), true],
    [compilePattern(a.after), compilePattern(b.after), false],
  ] as const) {
    const xs = positions(pa);
    const ys = positions(pb);
    if (xs.length !== ys.length || pa.lines.length !== pb.lines.length) {
      return { ok: false, reason: `their ${binds ? "before" : "after"} patterns have different lengths (${xs.length} and ${ys.length} tokens)` };
    }
    const replacements = new Map<number, string>();
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as Position;
      const y = ys[i] as Position;
      if (x.indent !== y.indent) return { ok: false, reason: "their lines are indented differently" };
      const same = x.token.text === y.token.text && x.token.type !== "hole" && y.token.type !== "hole";
      if (same) continue;
      if (!identifierPosition(x.token) || !identifierPosition(y.token)) {
        return { ok: false, reason: `they differ at \`${x.token.text}\` / \`${y.token.text}\`, which is not a name` };
      }
      for (const t of [x.token, y.token]) {
        if (t.type !== "hole" && isApiName(t.text)) return { ok: false, reason: `generalizing would turn the API name \`${t.text}\` into a hole` };
      }
      const key = `${x.token.text}\u0000${y.token.text}`;
      let hole = pairs.get(key);
      if (hole === undefined) {
        if (!binds) return { ok: false, reason: `their after patterns differ at \`${x.token.text}\` / \`${y.token.text}\`, which their before patterns do not bind` };
        hole = `$${pairs.size + 1}`;
        pairs.set(key, hole);
      }
      if (x.token.text !== y.token.text || x.token.type !== y.token.type) differences++;
      replacements.set(i, hole);
    }
    sides.push({ pattern: pa, replacements });
  }
  const [beforeSide, afterSide] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const before = replaceTokens(beforeSide.pattern, beforeSide.replacements);
  const merged = compilePattern(before);
  const fixed = fixedTokens(merged).length;
  const anchors = anchorTokens(merged).length;
  if (fixed < MIN_FIXED_TOKENS || anchors < MIN_ANCHOR_TOKENS) {
    return { ok: false, reason: `the merged rule would keep only ${fixed} fixed tokens (${anchors} names or literals); at least ${MIN_FIXED_TOKENS} (${MIN_ANCHOR_TOKENS}) are needed` };
  }
  if (differences === 0 && a.before === b.before && a.after === b.after) return { ok: false, reason: "they are the same rule" };
  return { ok: true, before, after: replaceTokens(afterSide.pattern, afterSide.replacements), context: a.context, holes: pairs.size };
}

/** Reorders a parameter list: required first, defaults after, then *args/*, keyword-only, **kwargs last. */
import type { Analysis } from "../analysis.js";
import type { FunctionFact, ParamFact } from "../facts.js";
import type { PyNode } from "../parser.js";
import type { RewriteMatch, TextEdit } from "../rewrite.js";
import { builtinRule } from "../rewrite.js";

/** The canonical order, or undefined when the list is already valid or cannot be reordered safely. */
export function reorderedParams(fn: FunctionFact): ParamFact[] | undefined {
  const params = fn.params;
  if (params.some((p) => p.kind === "slash")) return undefined;
  const starAt = params.findIndex((p) => p.kind === "args" || p.kind === "bare-star");
  const kwargsAt = params.findIndex((p) => p.kind === "kwargs");
  const positional = params.filter((p, i) => p.kind === "plain" && (starAt === -1 || i < starAt));
  const star = starAt === -1 ? [] : [params[starAt] as ParamFact];
  const keywordOnly = params.filter((p, i) => p.kind === "plain" && starAt !== -1 && i > starAt);
  const kwargs = kwargsAt === -1 ? [] : [params[kwargsAt] as ParamFact];
  const ordered = [...positional.filter((p) => !p.defaultNode), ...positional.filter((p) => p.defaultNode), ...star, ...keywordOnly, ...kwargs];
  if (ordered.length !== params.length) return undefined;
  return ordered.every((p, i) => p === params[i]) ? undefined : ordered;
}

function commentsIn(node: PyNode): PyNode[] {
  return node.children.filter((c) => c.type === "comment");
}

function reorderEdits(fn: FunctionFact, ordered: ParamFact[], a: Analysis): TextEdit[] {
  const params = fn.params;
  const comments = commentsIn(fn.paramsNode);
  if (comments.length === 0) {
    // Same layout, each slot takes the text of the parameter that now belongs there.
    return params.map((p, i) => ({ start: p.node.start, end: p.node.end, text: a.text((ordered[i] as ParamFact).node) }));
  }
  // With comments, rebuild one parameter per line and carry each comment with its parameter.
  const src = a.source;
  const lineOf = (offset: number): number => a.lines.line(offset);
  const trailing = new Map<ParamFact, string[]>();
  const leading = new Map<ParamFact, string[]>();
  for (const c of comments) {
    const before = [...params].reverse().find((p) => p.node.end <= c.start && lineOf(p.node.end) === lineOf(c.start));
    if (before) {
      trailing.set(before, [...(trailing.get(before) ?? []), a.text(c)]);
      continue;
    }
    const after = params.find((p) => p.node.start >= c.end) ?? params[params.length - 1];
    if (after) leading.set(after, [...(leading.get(after) ?? []), a.text(c)]);
  }
  const first = params[0];
  if (!first) return [];
  const openParen = fn.paramsNode.start;
  const closeParen = fn.paramsNode.end - 1;
  const defIndent = /^[ \t]*/.exec(src.slice(src.lastIndexOf("\n", fn.node.start - 1) + 1))?.[0] ?? "";
  const indent = `${defIndent}    `;
  const lines: string[] = [];
  for (const p of ordered) {
    for (const l of leading.get(p) ?? []) lines.push(`${indent}${l}`);
    const tail = (trailing.get(p) ?? []).join(" ");
    lines.push(`${indent}${a.text(p.node)},${tail ? `  ${tail}` : ""}`);
  }
  return [{ start: openParen + 1, end: closeParen, text: `\n${lines.join("\n")}\n${defIndent}` }];
}

export const paramOrderFixer = builtinRule(
  "fix/param-order",
  "param-order",
  "Reorder parameters: required first, then defaults, *args or *, keyword-only, **kwargs last",
  (a) => {
    const out: RewriteMatch[] = [];
    for (const fn of a.facts?.functions ?? []) {
      const ordered = reorderedParams(fn);
      if (!ordered) continue;
      // Only lists Python rejects: a required positional after a default, or anything after **kwargs.
      const names = fn.params.map((p) => p.name);
      const invalid = fn.params.some((p, i) => {
        if (i > 0 && fn.params[i - 1]?.kind === "kwargs") return true;
        const beforeStar = fn.params.slice(0, i).every((q) => q.kind !== "args" && q.kind !== "bare-star");
        return beforeStar && p.kind === "plain" && !p.defaultNode && fn.params.slice(0, i).some((q) => q.kind === "plain" && q.defaultNode);
      });
      if (!invalid) continue;
      out.push({
        rule: "fix/param-order",
        start: fn.paramsNode.start,
        end: fn.paramsNode.end,
        description: `reordered the parameters of ${fn.name}() (${names.join(", ")} → ${ordered.map((p) => p.name).join(", ")})`,
        edits: reorderEdits(fn, ordered, a),
      });
    }
    return out;
  },
);

/** Fixers inside calls: drop provide_context, yaml.load(x) → yaml.safe_load(x). */
import type { RewriteMatch, TextEdit } from "../rewrite.js";
import { builtinRule } from "../rewrite.js";
import { field } from "../tree.js";

/** Text edit that removes one keyword argument and the comma that goes with it, keeping the call's layout. */
function removeArgument(source: string, start: number, end: number): TextEdit {
  let after = end;
  while (after < source.length && /[ \t]/.test(source[after] ?? "")) after++;
  let before = start - 1;
  while (before >= 0 && /\s/.test(source[before] ?? "")) before--;
  const prevComma = source[before] === ",";
  if (source[after] === ",") {
    let next = after + 1;
    while (next < source.length && /\s/.test(source[next] ?? "")) next++;
    // Last argument with a trailing comma: drop the comma before it, keep the closing bracket where it was.
    if (source[next] === ")" && prevComma) return { start: before, end: after + 1, text: "" };
    let stop = after + 1;
    while (stop < source.length && /[ \t]/.test(source[stop] ?? "")) stop++;
    const lineStart = source.lastIndexOf("\n", start - 1) + 1;
    // Alone on its line: remove the whole line.
    if (source[stop] === "\n" && source.slice(lineStart, start).trim() === "") return { start: lineStart, end: stop + 1, text: "" };
    return { start, end: stop, text: "" };
  }
  if (prevComma) return { start: before, end, text: "" };
  return { start, end, text: "" };
}

export const provideContextFixer = builtinRule("fix/provide-context", "provide-context", "Drop the provide_context argument", (a) => {
  const out: RewriteMatch[] = [];
  for (const call of a.facts?.calls ?? []) {
    for (const kw of call.keywords) {
      if (kw.name !== "provide_context") continue;
      const edit = removeArgument(a.source, kw.node.start, kw.node.end);
      out.push({ rule: "fix/provide-context", start: edit.start, end: edit.end, description: "removed provide_context", edits: [edit] });
    }
  }
  return out;
});

export const yamlSafeLoadFixer = builtinRule("fix/yaml-safe-load", "yaml-unsafe-load", "Use yaml.safe_load for a one-argument yaml.load", (a) => {
  const out: RewriteMatch[] = [];
  for (const call of a.facts?.calls ?? []) {
    if (call.callee !== "yaml.load" || call.args.length !== 1 || call.keywords.length !== 0) continue;
    const attr = field(field(call.node, "function") ?? call.node, "attribute");
    if (!attr) continue;
    out.push({ rule: "fix/yaml-safe-load", start: attr.start, end: attr.end, description: "yaml.load(...) → yaml.safe_load(...)", edits: [{ start: attr.start, end: attr.end, text: "safe_load" }] });
  }
  return out;
});

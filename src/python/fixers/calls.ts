/** Fixers inside calls: drop provide_context, yaml.load(x) → yaml.safe_load(x). */
import type { RewriteMatch, TextEdit } from "../rewrite.js";
import { builtinRule } from "../rewrite.js";
import { field } from "../tree.js";

export const provideContextFixer = builtinRule("fix/provide-context", "provide-context", "Drop the provide_context argument", (a) => {
  const out: RewriteMatch[] = [];
  for (const call of a.facts?.calls ?? []) {
    for (const kw of call.keywords) {
      if (kw.name !== "provide_context") continue;
      const siblings = kw.node.parent?.children ?? [];
      const i = siblings.indexOf(kw.node);
      const next = siblings[i + 1];
      const prev = siblings[i - 1];
      let edit: TextEdit;
      if (next?.type === ",") {
        // Remove through the comma and the whitespace up to the next argument.
        let end = next.end;
        while (end < a.source.length && /[ \t]/.test(a.source[end] ?? "")) end++;
        if (a.source[end] === "\n" && prev?.type === "(") end++;
        edit = { start: kw.node.start, end, text: "" };
        if (siblings[i + 2]?.type === ")" && prev?.type === ",") edit = { start: prev.start, end: next.end, text: "" };
      } else if (prev?.type === ",") edit = { start: prev.start, end: kw.node.end, text: "" };
      else edit = { start: kw.node.start, end: kw.node.end, text: "" };
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

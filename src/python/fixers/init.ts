/** Fixers for operator constructors: **kwargs in __init__, super().__init__(**kwargs), template_fields. */
import type { Analysis } from "../analysis.js";
import type { RewriteMatch } from "../rewrite.js";
import { builtinRule } from "../rewrite.js";
import { derivesDirectly, initInfo, stringTemplateFields, structureTargets } from "../rules/airflow.js";
import { field, namedChildren, statements } from "../tree.js";
import { appendToList, indentAt, lineEndInclusive, lineStart } from "./text.js";

export const initKwargsFixer = builtinRule("fix/init-kwargs", "init-kwargs", "Add **kwargs to __init__", (a) => {
  const out: RewriteMatch[] = [];
  for (const { cls, type } of structureTargets(a)) {
    if (type === "hook") continue;
    const info = initInfo(cls, a);
    if (!info || info.kwargsName) continue;
    const last = info.init.params[info.init.params.length - 1];
    const close = info.init.paramsNode.end - 1;
    out.push({
      rule: "fix/init-kwargs",
      start: close,
      end: close,
      description: `added **kwargs to ${cls.name}.__init__`,
      edits: appendToList(a.source, close, last?.node, "**kwargs"),
    });
  }
  return out;
});

export const superInitFixer = builtinRule("fix/super-init", "super-init", "Call super().__init__(**kwargs) in __init__", (a) => {
  const out: RewriteMatch[] = [];
  for (const { cls, type } of structureTargets(a)) {
    const info = initInfo(cls, a);
    if (!info) continue;
    const kw = info.kwargsName;
    if (!info.superCall) {
      if (!kw && type !== "hook") continue; // init-kwargs adds **kwargs first
      if (type === "hook" && !derivesDirectly(cls, "hook")) continue;
      const call = kw ? `super().__init__(**${kw})` : "super().__init__()";
      const body = statements(info.init.body);
      const isDoc = (n: (typeof body)[number]): boolean => n.type === "expression_statement" && n.children[0]?.type === "string";
      const firstReal = body.find((n) => !isDoc(n));
      let edit;
      if (firstReal) {
        const ls = lineStart(a.source, firstReal.start);
        const inline = a.source.slice(ls, firstReal.start).trim() !== "";
        if (inline) continue; // `def __init__(self): pass` on one line: leave it to a person
        edit = { start: ls, end: ls, text: `${indentAt(a.source, firstReal.start)}${call}\n` };
      } else {
        const doc = body[0];
        if (!doc) continue;
        const end = lineEndInclusive(a.source, doc.end);
        edit = { start: end, end, text: `${indentAt(a.source, doc.start)}${call}\n` };
      }
      out.push({ rule: "fix/super-init", start: edit.start, end: edit.end, description: `added ${call} to ${cls.name}.__init__`, edits: [edit] });
      continue;
    }
    if (type === "hook" || !kw) continue;
    const args = field(info.superCall, "arguments");
    if (!args || namedChildren(args).some((c) => c.type === "dictionary_splat")) continue;
    const items = namedChildren(args);
    const close = args.end - 1;
    out.push({
      rule: "fix/super-init",
      start: close,
      end: close,
      description: `passed **${kw} to super().__init__ in ${cls.name}.__init__`,
      edits: appendToList(a.source, close, items[items.length - 1], `**${kw}`),
    });
  }
  return out;
});

export const templateFieldsFixer = builtinRule("fix/template-fields-string", "template-fields-string", "Turn a string template_fields into a tuple", (a: Analysis) => {
  const out: RewriteMatch[] = [];
  for (const cls of a.facts?.classes ?? []) {
    const hit = stringTemplateFields(cls, a);
    if (!hit) continue;
    const names = hit.value.split(/[\s,]+/).filter((n) => /^[A-Za-z_]\w*$/.test(n));
    const parts = names.length > 0 ? names : [hit.value];
    const text = `(${parts.map((p) => JSON.stringify(p)).join(", ")}${parts.length === 1 ? "," : ""})`;
    out.push({
      rule: "fix/template-fields-string",
      start: hit.node.start,
      end: hit.node.end,
      description: `${cls.name}.template_fields = ${text}`,
      edits: [{ start: hit.node.start, end: hit.node.end, text }],
    });
  }
  return out;
});
